// libFuzzer target for what the engine and servers parse from the network in the tunnel layer:
// the tunnel control messages (TunnelHello, TunnelWelcome, TunnelDial, StreamAttach, Route,
// HttpRequest, HttpResponse, TunnelChallenge, TunnelProof) and `list --filter` / `?filter=`
// expressions.
//
// The first input byte picks the parser; the rest is the payload (a JSON object for the
// messages, decoded through the codec as the engine does, or the filter text). Checked
// properties besides "no crash, no sanitizer report, no exception": a message that parses
// re-encodes to a message that parses to the same values; a parse failure always says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rstream/codec/frame.hpp"
#include "rstream/tunnel/filter.hpp"
#include "rstream/tunnel/protocol.hpp"
#include "fuzz_property.hpp"

namespace {

using namespace rstream;

using rstream::fuzz::fail;

template <typename Message>
void round_trip(codec::frame_type type, const std::vector<std::uint8_t>& payload) {
  const auto header = codec::encode_header(type, payload.size());
  std::vector<std::uint8_t> wire(header.begin(), header.end());
  wire.insert(wire.end(), payload.begin(), payload.end());
  codec::frame f;
  codec::decode_error decode_error;
  if (!codec::decode_message(wire, codec::default_max_payload, f, decode_error)) {
    if (decode_error.message.empty()) fail("decode error without a message");
    return;
  }
  const auto* control = std::get_if<codec::control_message>(&f);
  if (!control) fail("a control type decoded to another frame");
  Message first;
  std::string error;
  if (!tunnel::parse(*control, first, error)) {
    if (error.empty()) fail("parse error without a message");
    return;
  }
  Message second;
  if (!tunnel::parse(tunnel::to_message(first), second, error)) fail("re-encoded message fails");
  if (tunnel::to_message(first).json != tunnel::to_message(second).json) fail("not stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<std::uint8_t> payload(data + 1, data + size);
  switch (data[0] % 10) {
    case 0:
      round_trip<tunnel::tunnel_hello>(codec::frame_type::tunnel_hello, payload);
      break;
    case 1:
      round_trip<tunnel::tunnel_welcome>(codec::frame_type::tunnel_welcome, payload);
      break;
    case 2:
      round_trip<tunnel::tunnel_dial>(codec::frame_type::tunnel_dial, payload);
      break;
    case 3:
      round_trip<tunnel::stream_attach>(codec::frame_type::stream_attach, payload);
      break;
    case 4:
      round_trip<tunnel::route_request>(codec::frame_type::route, payload);
      break;
    case 5:
      round_trip<tunnel::http_request_head>(codec::frame_type::http_request, payload);
      break;
    case 6:
      round_trip<tunnel::http_response_head>(codec::frame_type::http_response, payload);
      break;
    case 8:
      round_trip<tunnel::tunnel_challenge>(codec::frame_type::tunnel_challenge, payload);
      break;
    case 9:
      round_trip<tunnel::tunnel_proof>(codec::frame_type::tunnel_proof, payload);
      break;
    default: {
      std::string error;
      const std::string text(payload.begin(), payload.end());
      auto filter = tunnel::tunnel_filter::parse(text, error);
      if (!filter) {
        if (error.empty()) fail("filter error without a message");
        break;
      }
      const nlohmann::json entry = {
          {"name", "alpha"},
          {"id", "0123"},
          {"status", "online"},
          {"publish", true},
          {"labels", {{"rstream.webtty.label.role", "codex"}, {"application-protocol", "x"}}}};
      (void)filter->matches(entry);
    }
  }
  return 0;
}
