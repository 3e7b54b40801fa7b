// Precompiled header for the Asio-heavy layers: keeps 2-core builds fast.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <spdlog/spdlog.h>
#include <memory>
#include <string>
#include <vector>
