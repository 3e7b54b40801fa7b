// Unit tests for project contexts: engine URLs, the context file, and which engine and token a
// command uses (flag > $RSTREAM_CONTEXT > current; $RSTREAM_ENGINE / _AUTHENTICATION_TOKEN win).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "rstream/config/contexts.hpp"
#include "rstream/config/project_use.hpp"

namespace fs = std::filesystem;
using namespace rstream::config;

namespace {

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& file, const std::string& text) { std::ofstream(file) << text; }

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

/// A fresh temporary directory and a clean environment (the variables these functions read),
/// both restored afterwards.
class ContextsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"HOME", "RSTREAM_CONFIG", "RSTREAM_CONTEXT", "RSTREAM_ENGINE",
                             "RSTREAM_AUTHENTICATION_TOKEN"}) {
      const char* value = std::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      if (std::string(name) != "HOME") ::unsetenv(name);
    }
    std::string tmpl = (fs::temp_directory_path() / "rstream-config-test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    file_ = dir_ / "config.json";
  }
  void TearDown() override {
    for (auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// Three contexts, "a" current.
  void write_abc() {
    context_file f;
    f.current = "a";
    f.contexts = {{"a", "http://a.example:1", "token-a"},
                  {"b", "https://b.example:2", "token-b"},
                  {"c", "http://c.example:3", ""}};
    auto saved = save_contexts(file_, f);
    ASSERT_TRUE(saved) << saved.error().message;
  }

  std::map<std::string, std::optional<std::string>> saved_;
  fs::path dir_, file_;
};

}  // namespace

TEST(EngineUrl, ParsesHttpAndHttpsWithDefaults) {
  auto plain = parse_engine_url("http://127.0.0.1:9/");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 9);
  EXPECT_EQ(plain->text(), "http://127.0.0.1:9");
  EXPECT_EQ(plain->host_port(), "127.0.0.1:9");

  auto tls = parse_engine_url("https://Engine.Example.org");
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->host, "engine.example.org");
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->text(), "https://engine.example.org:443");

  auto http_default = parse_engine_url("HTTP://localhost/");
  ASSERT_TRUE(http_default) << http_default.error().message;
  EXPECT_EQ(http_default->port, 80);

  auto v6 = parse_engine_url("http://[::1]:8080/");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->text(), "http://[::1]:8080");
  EXPECT_EQ(v6->host_port(), "[::1]:8080");
  auto v6_default = parse_engine_url("https://[fe80::1]");
  ASSERT_TRUE(v6_default) << v6_default.error().message;
  EXPECT_EQ(v6_default->port, 443);
}

TEST(EngineUrl, RejectsAnythingElseWithAClearMessage) {
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1:80", "is not an engine URL"},
      {"ws://host:80", "unsupported engine URL scheme 'ws'"},
      {"tcp://host:80", "unsupported engine URL scheme 'tcp'"},
      {"http://", "missing host"},
      {"http://:80", "missing host"},
      {"http://host:0", "invalid port '0'"},
      {"http://host:65536", "invalid port"},
      {"http://host:x", "invalid port 'x'"},
      {"http://host:", "invalid port ''"},
      {"http://host/api", "no path, query or fragment"},
      {"http://host//", "no path, query or fragment"},
      {"http://host?x=1", "no path, query or fragment"},
      {"http://host#top", "no path, query or fragment"},
      {"http://::1:80", "needs brackets"},
      {"http://[::1:80", "missing ']'"},
      {"http://[::1]x", "expected ':PORT'"},
      {"http://[zz]:80", "invalid IPv6 address"},
      {"http://[]:80", "invalid IPv6 address"},
      {"http://ho st:80", "invalid host"},
      {"", "is not an engine URL"},
  };
  for (auto [text, expected] : cases) {
    auto url = parse_engine_url(text);
    EXPECT_FALSE(url) << text;
    EXPECT_EQ(url.code(), errc::bad_engine_url) << text;
    const std::string& error = url.error().message;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
}

TEST(EngineUrl, UserInfoIsRefusedWithoutEchoingIt) {
  auto url = parse_engine_url("https://me:hunter2@engine.example:443");
  EXPECT_FALSE(url);
  const std::string& error = url.error().message;
  EXPECT_NE(error.find("user info"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

TEST(ContextName, Validation) {
  EXPECT_TRUE(check_context_name("local"));
  EXPECT_TRUE(check_context_name("[::1]:8080"));
  EXPECT_FALSE(check_context_name(""));
  EXPECT_FALSE(check_context_name("two words"));
  EXPECT_FALSE(check_context_name("tab\there"));
  auto url_like = check_context_name("http://x");
  EXPECT_EQ(url_like.code(), errc::bad_context_name);
  EXPECT_NE(url_like.error().message.find("://"), std::string::npos);
  EXPECT_FALSE(check_context_name(std::string(129, 'n')));
}

TEST_F(ContextsTest, MissingOrBlankFileIsEmpty) {
  auto absent = load_contexts(dir_ / "absent.json");
  ASSERT_TRUE(absent) << absent.error().message;
  EXPECT_TRUE(absent->current.empty());
  EXPECT_TRUE(absent->contexts.empty());
  write_text(file_, " \n");
  auto blank = load_contexts(file_);
  ASSERT_TRUE(blank) << blank.error().message;
  EXPECT_TRUE(blank->contexts.empty());
}

TEST_F(ContextsTest, SaveLoadRoundTripWithPrivateModes) {
  fs::path nested = dir_ / "home" / ".rstream" / "config.json";
  context_file in;
  in.current = "prod";
  in.contexts = {{"local", "http://127.0.0.1:8080", ""}, {"prod", "https://e.example:443", "s3"}};
  ASSERT_TRUE(save_contexts(nested, in));
  EXPECT_EQ(mode_of(nested), 0600u);
  EXPECT_EQ(mode_of(nested.parent_path()), 0700u);
  EXPECT_EQ(mode_of(nested.parent_path().parent_path()), 0700u);

  auto loaded = load_contexts(nested);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const context_file& out = *loaded;
  EXPECT_EQ(out.current, "prod");
  ASSERT_EQ(out.contexts.size(), 2u);
  EXPECT_EQ(out.contexts[0].name, "local");
  EXPECT_EQ(out.contexts[0].engine, "http://127.0.0.1:8080");
  EXPECT_EQ(out.contexts[0].token, "");
  EXPECT_EQ(out.contexts[1].token, "s3");

  // Saving again replaces the file (still 0600) and leaves no temporary file behind.
  in.current = "local";
  ASSERT_TRUE(save_contexts(nested, in));
  EXPECT_EQ(mode_of(nested), 0600u);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(nested.parent_path()))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"config.json", "config.json.lock"}));
}

TEST_F(ContextsTest, SaveThroughASymlinkReplacesItsTarget) {
  fs::path real = dir_ / "real.json";
  fs::create_symlink(real, file_);
  context_file in;
  in.contexts = {{"x", "http://x:1", ""}};
  ASSERT_TRUE(save_contexts(file_, in));
  EXPECT_TRUE(fs::is_symlink(file_));
  EXPECT_NE(read_text(real).find("\"x\""), std::string::npos);
}

TEST_F(ContextsTest, MalformedFileIsAnErrorNamingTheFile) {
  write_text(file_, "{\"current\": \"a\",");
  EXPECT_FALSE(load_contexts(file_));
  std::string error = load_contexts(file_).error().message;
  EXPECT_NE(error.find(file_.string()), std::string::npos) << error;
  EXPECT_NE(error.find("malformed JSON"), std::string::npos) << error;

  // The parser's excerpt of what it read is dropped: it could hold part of a token.
  write_text(file_, R"({"contexts": [{"name": "a", "engine": "http://a", "token": sekrit}]})");
  EXPECT_FALSE(load_contexts(file_));
  error = load_contexts(file_).error().message;
  EXPECT_NE(error.find("malformed JSON"), std::string::npos) << error;
  EXPECT_EQ(error.find("sekrit"), std::string::npos) << error;

  const std::pair<const char*, const char*> cases[] = {
      {"[]", "expected a JSON object"},
      {R"({"current": 3})", "\"current\" must be a string"},
      {R"({"contexts": {}})", "\"contexts\" must be an array"},
      {R"({"contexts": [7]})", "contexts[0] must be an object"},
      {R"({"contexts": [{"engine": "http://a"}]})", "contexts[0] has no \"name\""},
      {R"({"contexts": [{"name": "a"}]})", "contexts[0] has no \"engine\""},
      {R"({"contexts": [{"name": "a", "engine": "http://a", "token": 5}]})", "must be a string"},
      {R"({"contexts": [{"name": "a", "engine": "http://a"}, {"name": "a", "engine": "http://b"}]})",
       "context 'a' appears twice"},
  };
  for (auto [text, expected] : cases) {
    write_text(file_, text);
    auto loaded = load_contexts(file_);
    EXPECT_EQ(loaded.code(), errc::file_error) << text;
    error = loaded.error().message;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
    EXPECT_NE(error.find(file_.string()), std::string::npos) << error;
  }
}

TEST_F(ContextsTest, ConfigPathFromEnvironmentOrHome) {
  ::setenv("RSTREAM_CONFIG", (dir_ / "elsewhere.json").c_str(), 1);
  EXPECT_EQ(config_file_path(), dir_ / "elsewhere.json");
  ::unsetenv("RSTREAM_CONFIG");
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_EQ(rstream_home(), dir_ / ".rstream");
  EXPECT_EQ(config_file_path(), dir_ / ".rstream" / "config.json");
  ::unsetenv("HOME");  // the password database's home directory
  EXPECT_EQ(rstream_home().filename(), ".rstream");
  EXPECT_TRUE(rstream_home().is_absolute()) << rstream_home();
}

TEST_F(ContextsTest, PrecedenceIsFlagThenEnvThenCurrent) {
  write_abc();
  auto current = resolve_engine(file_, "");
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(current->context_name, "a");
  EXPECT_EQ(current->source, "current");
  EXPECT_EQ(current->engine.text(), "http://a.example:1");
  EXPECT_EQ(current->token, "token-a");

  ::setenv("RSTREAM_CONTEXT", "b", 1);
  auto from_env = resolve_engine(file_, "");
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->context_name, "b");
  EXPECT_EQ(from_env->source, "RSTREAM_CONTEXT");
  EXPECT_TRUE(from_env->engine.tls);
  EXPECT_EQ(from_env->token, "token-b");

  auto from_flag = resolve_engine(file_, "c");
  ASSERT_TRUE(from_flag) << from_flag.error().message;
  EXPECT_EQ(from_flag->context_name, "c");
  EXPECT_EQ(from_flag->source, "--context");
  EXPECT_EQ(from_flag->token, "");

  // Then the engine and token variables override the chosen context's.
  ::setenv("RSTREAM_ENGINE", "https://override.example:8443", 1);
  ::setenv("RSTREAM_AUTHENTICATION_TOKEN", "token-env", 1);
  auto overridden = resolve_engine(file_, "c");
  ASSERT_TRUE(overridden) << overridden.error().message;
  EXPECT_EQ(overridden->context_name, "c");
  EXPECT_EQ(overridden->engine.text(), "https://override.example:8443");
  EXPECT_EQ(overridden->token, "token-env");

  // The one-argument form reads the file $RSTREAM_CONFIG names.
  ::unsetenv("RSTREAM_ENGINE");
  ::unsetenv("RSTREAM_AUTHENTICATION_TOKEN");
  ::setenv("RSTREAM_CONFIG", file_.c_str(), 1);
  auto via_config = resolve_engine("a");
  ASSERT_TRUE(via_config) << via_config.error().message;
  EXPECT_EQ(via_config->engine.text(), "http://a.example:1");
}

TEST_F(ContextsTest, EngineVariableAloneIsEnough) {
  ::setenv("RSTREAM_ENGINE", "http://10.0.0.5:7000/", 1);
  ::setenv("RSTREAM_AUTHENTICATION_TOKEN", "t", 1);
  auto resolved = resolve_engine(file_, "");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->context_name, "");
  EXPECT_EQ(resolved->source, "RSTREAM_ENGINE");
  EXPECT_EQ(resolved->engine.text(), "http://10.0.0.5:7000");
  EXPECT_EQ(resolved->token, "t");

  ::setenv("RSTREAM_ENGINE", "ws://bad:1", 1);
  auto bad = resolve_engine(file_, "");
  EXPECT_EQ(bad.code(), errc::bad_engine_url);
  EXPECT_EQ(bad.error().message.rfind("RSTREAM_ENGINE: ", 0), 0u) << bad.error().message;
}

TEST_F(ContextsTest, NothingConfiguredSaysWhatToDo) {
  auto none = resolve_engine(file_, "");
  EXPECT_EQ(none.code(), errc::no_engine);
  EXPECT_EQ(none.error().message,
            "no engine configured: run `rstream engine` on this machine, or `rstream project use "
            "URL --token T`");
}

TEST_F(ContextsTest, UnknownContextListsTheKnownNames) {
  write_abc();
  std::string error = resolve_engine(file_, "zzz").error().message;
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find("unknown context 'zzz'"), std::string::npos) << error;
  EXPECT_NE(error.find("a, b, c"), std::string::npos) << error;

  ::setenv("RSTREAM_CONTEXT", "yyy", 1);
  error = resolve_engine(file_, "").error().message;
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find("unknown context 'yyy' (from RSTREAM_CONTEXT)"), std::string::npos) << error;
  ::unsetenv("RSTREAM_CONTEXT");

  // A current context that is not in the file (hand-edited) is named as such.
  write_text(file_, R"({"current": "gone", "contexts": [{"name": "a", "engine": "http://a"}]})");
  error = resolve_engine(file_, "").error().message;
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find("current context 'gone'"), std::string::npos) << error;
  EXPECT_NE(error.find("known contexts: a"), std::string::npos) << error;

  write_text(file_, "{");
  error = resolve_engine(file_, "").error().message;
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find(file_.string()), std::string::npos) << error;
}

TEST_F(ContextsTest, UpsertAddsReplacesAndSwitches) {
  ASSERT_TRUE(upsert_context(file_, {"local", "http://127.0.0.1:8080/", "t1"}, true));
  ASSERT_TRUE(upsert_context(file_, {"prod", "https://Prod.Example", "t2"}, false));
  auto f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->current, "local");
  ASSERT_EQ(f->contexts.size(), 2u);
  EXPECT_EQ(f->contexts[0].engine, "http://127.0.0.1:8080");  // normalized
  EXPECT_EQ(f->contexts[1].engine, "https://prod.example:443");
  EXPECT_EQ(mode_of(file_), 0600u);

  ASSERT_TRUE(upsert_context(file_, {"local", "http://127.0.0.1:9090", ""}, false));
  auto used = use_context(file_, use_request{"prod", std::nullopt, std::nullopt});
  ASSERT_TRUE(used) << used.error().message;
  f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->current, "prod");
  ASSERT_EQ(f->contexts.size(), 2u);
  EXPECT_EQ(f->contexts[0].engine, "http://127.0.0.1:9090");
  EXPECT_EQ(f->contexts[0].token, "");

  EXPECT_EQ(upsert_context(file_, {"bad name", "http://h:1", ""}, true).code(),
            errc::bad_context_name);
  EXPECT_EQ(upsert_context(file_, {"ok", "ftp://h:1", ""}, true).code(), errc::bad_engine_url);
  auto unknown = use_context(file_, use_request{"nope", std::nullopt, std::nullopt});
  EXPECT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown context 'nope'; known contexts: local, prod"),
            std::string::npos)
      << unknown.error().message;
  f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->current, "prod");
  EXPECT_EQ(f->contexts.size(), 2u);
}

TEST_F(ContextsTest, ConcurrentUpsertsLoseNothing) {
  // Each writer opens the lock file itself, so two threads exclude each other as two processes
  // would; without the lock, read-modify-write cycles would drop names.
  constexpr int per_writer = 25;
  auto writer = [&](const std::string& prefix, std::string& error) {
    for (int i = 0; i < per_writer; ++i)
      if (auto r = upsert_context(file_, {prefix + std::to_string(i), "http://h:1", ""}, true);
          !r) {
        error = r.error().message;
        return;
      }
  };
  std::string error_a, error_b;
  std::thread a([&] { writer("a", error_a); });
  std::thread b([&] { writer("b", error_b); });
  a.join();
  b.join();
  EXPECT_EQ(error_a, "");
  EXPECT_EQ(error_b, "");
  auto f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->contexts.size(), 2u * per_writer);
}

TEST_F(ContextsTest, ProjectUseOfAnEngineUrlCreatesItsContextAndMakesItCurrent) {
  auto used = use_context(file_, use_request{"http://Engine.Example:8080/", "t1", std::nullopt});
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(used->name, "engine.example:8080");
  EXPECT_EQ(used->engine, "http://engine.example:8080");
  auto f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->current, "engine.example:8080");
  ASSERT_NE(f->find("engine.example:8080"), nullptr);
  EXPECT_EQ(f->find("engine.example:8080")->token, "t1");
}

TEST_F(ContextsTest, ProjectUseOfAKnownEngineReusesItsContextAndKeepsItsToken) {
  write_abc();
  auto used = use_context(file_, use_request{"https://b.example:2", std::nullopt, std::nullopt});
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(used->name, "b");
  ::setenv("RSTREAM_AUTHENTICATION_TOKEN", "from-env", 1);
  ASSERT_TRUE(use_context(file_, use_request{"http://c.example:3", std::nullopt, std::nullopt}));
  auto f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->find("b")->token, "token-b");
  EXPECT_EQ(f->find("c")->token, "from-env");
  EXPECT_EQ(f->current, "c");
}

TEST_F(ContextsTest, ProjectUseByNameAndItsRefusals) {
  write_abc();
  auto used = use_context(file_, use_request{"b", "new", std::nullopt});
  ASSERT_TRUE(used) << used.error().message;
  EXPECT_EQ(used->engine, "https://b.example:2");
  auto unknown = use_context(file_, use_request{"zz", std::nullopt, std::nullopt});
  EXPECT_EQ(unknown.code(), errc::unknown_context);
  EXPECT_EQ(unknown.error().message,
            "unknown context 'zz'; known contexts: a, b, c (an engine URL starts with http:// or "
            "https://)");
  EXPECT_EQ(use_context(file_, use_request{"ftp://h:1", std::nullopt, std::nullopt}).code(),
            errc::bad_engine_url);
  EXPECT_EQ(use_context(file_, use_request{"http://h:1", std::nullopt, "bad name"}).code(),
            errc::bad_context_name);
}

TEST_F(ContextsTest, CurrentContextNameIsTheEnvironmentsFirst) {
  write_abc();
  auto f = load_contexts(file_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(current_context_name(*f), "a");
  ::setenv("RSTREAM_CONTEXT", "b", 1);
  EXPECT_EQ(current_context_name(*f), "b");
}
