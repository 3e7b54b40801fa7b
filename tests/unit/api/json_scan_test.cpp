// The strict JSON tokenizer: the events it hands over, and that it refuses exactly what
// nlohmann::json::parse refuses (fuzz_api_json_scan checks the same on generated inputs).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rstream/api/json_scan.hpp"

namespace {

using namespace rstream::api;

/// Writes every event as a word, so that a test can compare the sequence.
struct event_log {
  bool null_value() { return add("null"); }
  bool boolean(bool v) { return add(v ? "true" : "false"); }
  bool number(std::string_view text) { return add("num:" + std::string(text)); }
  bool string(std::string&& v) { return add("str:" + v); }
  bool key(std::string&& k) { return add("key:" + k); }
  bool start(bool object) { return add(object ? "{" : "["); }
  bool end() { return add("end"); }
  bool add(std::string word) {
    words.push_back(std::move(word));
    return words.size() < stop_after;
  }
  std::vector<std::string> words;
  std::size_t stop_after = 1000;
};

json_scan_result scan(std::string_view text, event_log& log) { return scan_json(text, log); }

TEST(JsonScan, HandsOverEveryEventInOrder) {
  event_log log;
  const auto r = scan(R"( {"a": [1, -2.5e+3, true, false, null, "x"], "b": {}, "c": []} )", log);
  ASSERT_EQ(r.what, json_scan_result::kind::ok);
  const std::vector<std::string> expected = {
      "{",   "key:a", "[", "num:1", "num:-2.5e+3", "true", "false", "null", "str:x",
      "end", "key:b", "{", "end",   "key:c",       "[",    "end",   "end"};
  EXPECT_EQ(log.words, expected);
}

TEST(JsonScan, DecodesEscapesAndSurrogatePairs) {
  event_log log;
  ASSERT_EQ(scan(R"(["q\"b\\s\/\b\f\n\r\t\u00e9\ud83d\ude00\u0000"])", log).what,
            json_scan_result::kind::ok);
  ASSERT_EQ(log.words.size(), 3u);
  EXPECT_EQ(log.words[1],
            std::string("str:q\"b\\s/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80") + std::string(1, '\0'));
}

TEST(JsonScan, KeepsValidUtf8AndSkipsAByteOrderMark) {
  event_log log;
  ASSERT_EQ(scan("\xef\xbb\xbf\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\"", log).what,
            json_scan_result::kind::ok);
  EXPECT_EQ(log.words.at(0), "str:caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
}

TEST(JsonScan, RefusesWhatNlohmannRefusesAndSaysWhere) {
  const std::vector<std::string> bad = {"",
                                        " ",
                                        "{",
                                        "[1,]",
                                        "{\"a\":1,}",
                                        "{\"a\" 1}",
                                        "[01]",
                                        "[1.]",
                                        "[.5]",
                                        "[1e]",
                                        "[-]",
                                        "[+1]",
                                        "tru",
                                        "nul",
                                        "[\"\\x\"]",
                                        "[\"\\u12\"]",
                                        "[\"\\ud800\"]",
                                        "[\"\\udc00\"]",
                                        "[\"\\ud800\\u0041\"]",
                                        "[\"\x01\"]",
                                        "[\"\xc0\xaf\"]",
                                        "[\"\xed\xa0\x80\"]",
                                        "[\"\xf4\x90\x80\x80\"]",
                                        "[\"\xe6\x97\"]",
                                        "[\"unterminated",
                                        "[] []",
                                        "{} x",
                                        "// c\n[]",
                                        "[1 2]",
                                        "{1:2}",
                                        "\xef\xbb",
                                        "[\"a\"\"b\"]",
                                        "[1e400]",
                                        "[-1.5E+309]",
                                        "[1e99999999999999999999999]",
                                        std::string(400, '9')};
  for (const auto& text : bad) {
    event_log log;
    const auto r = scan(text, log);
    EXPECT_EQ(r.what, json_scan_result::kind::not_json) << text;
    EXPECT_LE(r.at, text.size()) << text;
    EXPECT_TRUE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;
  }
  event_log log;
  EXPECT_EQ(scan("[1, 2, x]", log).at, 7u);
}

TEST(JsonScan, AcceptsWhatNlohmannAccepts) {
  const std::vector<std::string> good = {"0",
                                         "-0",
                                         "1.5e-7",
                                         "1E+2",
                                         "\"\"",
                                         "[[[[]]]]",
                                         "{\"\":{}}",
                                         " \t\r\n null ",
                                         "12345678901234567890123",
                                         "[\"\\u0041\"]",
                                         "1e-400",
                                         "[0.0000e999]",
                                         "1.7e308",
                                         "-1e-99999999999999999999"};
  for (const auto& text : good) {
    event_log log;
    EXPECT_EQ(scan(text, log).what, json_scan_result::kind::ok) << text;
    EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;
  }
}

TEST(JsonScan, StopsWhenTheHandlerSaysSo) {
  event_log log;
  log.stop_after = 2;
  EXPECT_EQ(scan("[1, 2, 3]", log).what, json_scan_result::kind::stopped);
  EXPECT_EQ(log.words.size(), 2u);
}

}  // namespace
