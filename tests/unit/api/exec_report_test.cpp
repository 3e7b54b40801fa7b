// api::exec_report: the JSON object `exec --output json` prints, field by field.
#include "rstream/api/exec_report.hpp"

#include <gtest/gtest.h>

using rstream::api::exec_captured_stream;
using rstream::api::exec_report;

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST(ApiExecReport, AlwaysHasTheSixBaseFieldsAndNothingUnset) {
  exec_report report;
  report.url = "tcp://127.0.0.1:7681";
  report.command = {"sh", "-c", "echo hi"};
  report.exit_code = 3;
  report.out.append(bytes_of("hi\n"));
  report.duration_ms = 42;
  nlohmann::json json = report;
  EXPECT_EQ(json.dump(), R"({"command":["sh","-c","echo hi"],"duration_ms":42,"exit_code":3,)"
                         R"("stderr":"","stdout":"hi\n","url":"tcp://127.0.0.1:7681"})");
}

TEST(ApiExecReport, OptionalFieldsAppearWhenSet) {
  exec_report report;
  report.exit_code = 124;
  report.signal = 15;
  report.signal_name = "SIGTERM";
  report.pid = 4242;
  report.timed_out = true;
  report.error = "command timed out after 500 ms";
  report.error_code = "spawn_failed";
  nlohmann::json json = report;
  EXPECT_EQ(json["signal"], 15);
  EXPECT_EQ(json["signal_name"], "SIGTERM");
  EXPECT_EQ(json["pid"], 4242);
  EXPECT_EQ(json["timed_out"], true);
  EXPECT_EQ(json["error"], "command timed out after 500 ms");
  EXPECT_EQ(json["error_code"], "spawn_failed");
  EXPECT_EQ(json.size(), 12u);
}

TEST(ApiExecReport, SignalWithoutANameHasNoSignalName) {
  exec_report report;
  report.signal = 77;
  nlohmann::json json = report;
  EXPECT_EQ(json["signal"], 77);
  EXPECT_FALSE(json.contains("signal_name"));
}

TEST(ApiExecReport, InvalidUtf8IsReplacedAndGivenExactlyInBase64) {
  exec_report report;
  report.err.append(
      bytes_of("a\xff"
               "b"));
  report.out.append(bytes_of("caf\xc3\xa9"));
  nlohmann::json json = report;
  EXPECT_EQ(json["stderr"],
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(json["stderr_base64"], "Yf9i");
  EXPECT_EQ(json["stdout"], "caf\xc3\xa9");
  EXPECT_FALSE(json.contains("stdout_base64"));
}

TEST(ApiExecReport, CapturedStreamStopsAtItsLimitAndSaysSo) {
  exec_captured_stream stream;
  stream.limit = 4;
  stream.append(bytes_of("abc"));
  EXPECT_FALSE(stream.truncated);
  stream.append(bytes_of("def"));
  EXPECT_EQ(stream.bytes, "abcd");
  EXPECT_TRUE(stream.truncated);
  stream.append(bytes_of("g"));
  EXPECT_EQ(stream.bytes, "abcd");

  exec_report report;
  report.out = stream;
  nlohmann::json json = report;
  EXPECT_EQ(json["stdout_truncated"], true);
  EXPECT_FALSE(json.contains("stderr_truncated"));
}
