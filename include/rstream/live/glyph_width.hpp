// How many columns libvterm 0.1.4 gives a code point: 0 for a combining mark (joined to the
// glyph before it), 1, or 2; -1 for the few that libvterm joins to the glyph before although
// they have a width of their own (U+3099, U+302A...: the joined glyph would be 3 columns wide,
// which no terminal shows). The input guard needs it to bound runs of combining marks, which
// that libvterm keeps without limit, and the model to put text straight into cells. Answered
// by a small libvterm of this thread's own and remembered (a table of 64 KiB for the basic
// plane, at most 65,536 answers beyond it: about 3 MiB per thread at worst).
// Thread-safety: safe; each thread asks its own libvterm.
#pragma once

namespace rstream::live {

/// The width libvterm gives `code_point` (see above), a Unicode scalar value that is not a C0
/// or C1 control nor DEL (their "width" is undefined: the caller filters them out first).
int glyph_width(char32_t code_point);

}  // namespace rstream::live
