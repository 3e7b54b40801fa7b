// Unit tests of the engine's relay-path choice: splice(2) only between two raw-frame
// connections over plain TCP, frame by frame for anything else.
#include <gtest/gtest.h>

#include "rstream/engine/splice_relay.hpp"

using rstream::engine::choose_relay_path;
using rstream::engine::relay_path;
using rstream::transport::parse_scheme;
using rstream::transport::scheme_kind;

TEST(engine_relay_path, ParsesTheFourSchemesAndNothingElse) {
  EXPECT_EQ(parse_scheme("tcp"), scheme_kind::tcp);
  EXPECT_EQ(parse_scheme("tls"), scheme_kind::tls);
  EXPECT_EQ(parse_scheme("ws"), scheme_kind::ws);
  EXPECT_EQ(parse_scheme("wss"), scheme_kind::wss);
  EXPECT_FALSE(parse_scheme("TCP"));
  EXPECT_FALSE(parse_scheme("http"));
  EXPECT_FALSE(parse_scheme(""));
}

TEST(engine_relay_path, SplicesOnlyRawFramesOverPlainTcpOnBothSides) {
  EXPECT_EQ(choose_relay_path(scheme_kind::tcp, scheme_kind::tcp), relay_path::spliced);
  for (auto other : {scheme_kind::tls, scheme_kind::ws, scheme_kind::wss}) {
    EXPECT_EQ(choose_relay_path(scheme_kind::tcp, other), relay_path::framed);
    EXPECT_EQ(choose_relay_path(other, scheme_kind::tcp), relay_path::framed);
    EXPECT_EQ(choose_relay_path(other, other), relay_path::framed);
  }
  EXPECT_EQ(choose_relay_path(std::nullopt, scheme_kind::tcp), relay_path::framed);
  EXPECT_EQ(choose_relay_path(scheme_kind::tcp, std::nullopt), relay_path::framed);
}
