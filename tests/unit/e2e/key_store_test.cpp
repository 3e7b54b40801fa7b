// Unit tests for the E2E key files (rstream/e2e/key_store.hpp), each in its own temporary
// directory: identities (create, refuse to overwrite, load, list, delete), file and directory
// modes, refusal of loose modes with the chmod that fixes it, corrupt files, authorized clients
// and known servers (add, duplicates, remove, changes seen by the next read), the choice of the
// client identity, and $HOME.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "rstream/e2e/key_store.hpp"

using namespace rstream::e2e;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class E2eKeyStore : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rstream-e2e-test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    store_.emplace(dir_ / "webtty");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const key_store& store() const { return *store_; }

  fs::path dir_;
  std::optional<key_store> store_;
};

}  // namespace

TEST_F(E2eKeyStore, CreateWritesA0600FileIn0700DirectoriesAndLoadsBack) {
  auto created = store().create_identity("laptop");
  ASSERT_TRUE(created) << created.error().message;
  const fs::path file = store().identity_file("laptop");
  EXPECT_EQ(created->file, file);
  EXPECT_EQ(file, dir_ / "webtty" / "identities" / "laptop.json");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir_ / "webtty"), 0700u);
  EXPECT_EQ(mode_of(dir_ / "webtty" / "identities"), 0700u);
  EXPECT_EQ(created->created_at.size(), 20u);  // 2024-05-01T12:00:00Z

  auto loaded = store().load_identity("laptop");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->public_identity(), *created->key);
  auto described = store().describe_identity("laptop");
  ASSERT_TRUE(described);
  EXPECT_EQ(*described->key, *created->key);
  EXPECT_EQ(described->created_at, created->created_at);

  const std::string content = read_text(file);
  EXPECT_NE(content.find(created->key->to_string()), std::string::npos);
  EXPECT_NE(content.find("\"secret_seed\""), std::string::npos);
  // Nothing but the file itself is left in the directory (no temp files).
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(file.parent_path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(E2eKeyStore, CreateRefusesToOverwrite) {
  auto first = store().create_identity("server1");
  ASSERT_TRUE(first);
  const std::string before = read_text(store().identity_file("server1"));
  auto second = store().create_identity("server1");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::already_exists);
  EXPECT_NE(second.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read_text(store().identity_file("server1")), before);
}

TEST_F(E2eKeyStore, BadNamesAreRefusedBeforeTouchingFiles) {
  for (const char* bad : {"../evil", "a/b", "", ".hidden", "-x"}) {
    auto r = store().create_identity(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::bad_name);
    EXPECT_EQ(store().load_identity(bad).error().code, errc::bad_name);
  }
  EXPECT_FALSE(fs::exists(dir_ / "webtty"));
  EXPECT_FALSE(fs::exists(dir_ / "evil.json"));
}

TEST_F(E2eKeyStore, LooseModesAreRefusedWithTheFix) {
  ASSERT_TRUE(store().create_identity("k"));
  const fs::path file = store().identity_file("k");
  const std::string p = file.string();
  struct case_t {
    mode_t mode;
    const char* what;
  };
  for (const case_t& c :
       {case_t{0644, "readable"}, case_t{0640, "readable"}, case_t{0604, "readable"},
        case_t{0620, "writable"}, case_t{0602, "writable"}, case_t{0610, "accessible"}}) {
    ASSERT_EQ(::chmod(file.c_str(), c.mode), 0);
    auto r = store().load_identity("k");
    ASSERT_FALSE(r) << std::oct << c.mode;
    EXPECT_EQ(r.error().code, errc::insecure_file);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(c.mode));
    EXPECT_EQ(r.error().message, "key file " + p + " is " + c.what + " by others (mode " + mode +
                                     "); run chmod 600 " + p);
    EXPECT_EQ(store().describe_identity("k").error().code, errc::insecure_file);
  }
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  EXPECT_TRUE(store().load_identity("k"));
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_TRUE(store().load_identity("k"));
}

TEST_F(E2eKeyStore, CorruptIdentityFilesAreRefused) {
  ASSERT_TRUE(store().create_identity("good"));
  const std::string good = read_text(store().identity_file("good"));
  const fs::path file = store().identity_file("bad");
  auto check = [&](const std::string& content, const char* fragment) {
    write_text(file, content);
    ::chmod(file.c_str(), 0600);
    auto r = store().load_identity("bad");
    ASSERT_FALSE(r) << content;
    EXPECT_EQ(r.error().code, errc::corrupt_file);
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  };
  check("", "not a JSON object");
  check("[1,2]", "not a JSON object");
  check("{\"format\":\"x\"}", "format");
  check("{\"format\":\"rstream-e2e-identity\",\"version\":2}", "version");
  check("{\"format\":\"rstream-e2e-identity\",\"version\":1}", "secret_seed");
  check("{\"format\":\"rstream-e2e-identity\",\"version\":1,\"secret_seed\":\"AAAA\"}",
        "secret_seed");
  // Another identity's public key with this seed.
  auto other = identity::generate();
  std::string mismatched = good;
  const auto at = mismatched.find("rstream-e2e-v1:");
  mismatched.replace(at, 58, other.public_identity().to_string());
  check(mismatched, "does not match");
  fs::remove(file);
  auto missing = store().load_identity("bad");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_NE(missing.error().message.find("rstream webtty identity create --name bad"),
            std::string::npos);
}

TEST_F(E2eKeyStore, ListSortsAndReportsUnusableFiles) {
  auto empty = store().list_identities();
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(store().create_identity("zeta"));
  ASSERT_TRUE(store().create_identity("alpha"));
  ASSERT_TRUE(store().create_identity("mid"));
  ::chmod(store().identity_file("mid").c_str(), 0644);
  write_text(dir_ / "webtty" / "identities" / "notes.txt", "ignored");
  auto list = store().list_identities();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "alpha");
  EXPECT_EQ((*list)[1].name, "mid");
  EXPECT_EQ((*list)[2].name, "zeta");
  EXPECT_TRUE((*list)[0].key);
  EXPECT_FALSE((*list)[1].key);
  EXPECT_NE((*list)[1].problem.find("chmod 600"), std::string::npos);
}

TEST_F(E2eKeyStore, DeleteRemovesOnlyThatIdentity) {
  ASSERT_TRUE(store().create_identity("a"));
  ASSERT_TRUE(store().create_identity("b"));
  ASSERT_TRUE(store().delete_identity("a"));
  EXPECT_FALSE(fs::exists(store().identity_file("a")));
  EXPECT_TRUE(store().load_identity("b"));
  auto again = store().delete_identity("a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::not_found);
  EXPECT_TRUE(store().create_identity("a"));  // the name is free again
}

TEST_F(E2eKeyStore, AuthorizedClientsAddListRemove) {
  const auto alice = identity::generate().public_identity();
  const auto bob = identity::generate().public_identity();
  auto no_server = store().add_authorized_client("srv", {"alice", alice, {}});
  ASSERT_FALSE(no_server);
  EXPECT_EQ(no_server.error().code, errc::not_found);

  ASSERT_TRUE(store().create_identity("srv"));
  auto none = store().authorized_clients("srv");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(store().add_authorized_client("srv", {"alice", alice, {}}));
  ASSERT_TRUE(store().add_authorized_client("srv", {"bob", bob, "2024-01-01T00:00:00Z"}));
  const fs::path file = store().authorized_clients_file("srv");
  EXPECT_EQ(file, dir_ / "webtty" / "authorized_clients" / "srv.json");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);

  auto dup_name = store().add_authorized_client("srv", {"alice", bob, {}});
  ASSERT_FALSE(dup_name);
  EXPECT_EQ(dup_name.error().code, errc::already_exists);
  auto dup_key = store().add_authorized_client("srv", {"alice2", alice, {}});
  ASSERT_FALSE(dup_key);
  EXPECT_EQ(dup_key.error().code, errc::already_exists);
  EXPECT_NE(dup_key.error().message.find("'alice'"), std::string::npos);
  EXPECT_EQ(store().add_authorized_client("srv", {"a/b", bob, {}}).error().code, errc::bad_name);

  auto list = store().authorized_clients("srv");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[0].key, alice);
  EXPECT_FALSE((*list)[0].added_at.empty());
  EXPECT_EQ((*list)[1].added_at, "2024-01-01T00:00:00Z");

  ASSERT_TRUE(store().remove_authorized_client("srv", "alice"));
  auto gone = store().remove_authorized_client("srv", "alice");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::not_found);
  list = store().authorized_clients("srv");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "bob");
}

TEST_F(E2eKeyStore, ListFilesWritableByOthersAreRefused) {
  ASSERT_TRUE(store().create_identity("srv"));
  ASSERT_TRUE(
      store().add_authorized_client("srv", {"c", identity::generate().public_identity(), {}}));
  const fs::path file = store().authorized_clients_file("srv");
  ::chmod(file.c_str(), 0644);  // public keys: readable is fine
  EXPECT_TRUE(store().authorized_clients("srv"));
  ::chmod(file.c_str(), 0646);
  auto r = store().authorized_clients("srv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::insecure_file);
  EXPECT_EQ(r.error().message, "file " + file.string() +
                                   " is writable by others (mode 0646); run chmod 600 " +
                                   file.string());
  // A failing list admits no one.
  auto authorize = authorize_from_store(store(), "srv");
  EXPECT_EQ(authorize(identity::generate().public_identity()).error().code, errc::insecure_file);
}

TEST_F(E2eKeyStore, CorruptListFilesAreRefused) {
  ASSERT_TRUE(store().create_identity("srv"));
  const fs::path file = store().authorized_clients_file("srv");
  fs::create_directories(file.parent_path());
  for (const char* bad : {"nope", "{}", "{\"clients\":{}}", "{\"clients\":[{\"name\":\"x\"}]}",
                          "{\"clients\":[{\"name\":\"x\",\"key\":\"rstream-e2e-v1:short\"}]}",
                          "{\"clients\":[{\"name\":\"../x\",\"key\":\"k\"}]}"}) {
    write_text(file, bad);
    ::chmod(file.c_str(), 0600);
    auto r = store().authorized_clients("srv");
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().code == errc::corrupt_file || r.error().code == errc::bad_name) << bad;
  }
}

TEST_F(E2eKeyStore, AListEntryThatIsNoUsableKeyMatchesNothing) {
  // Lists are decoded without curve checks (each costs about as much as a handshake step): an
  // entry damaged into a non-point is read, and no checked key ever equals it.
  ASSERT_TRUE(store().create_identity("srv"));
  const fs::path file = store().authorized_clients_file("srv");
  fs::create_directories(file.parent_path());
  std::array<std::uint8_t, 32> all_ff{};
  all_ff.fill(0xff);
  write_text(file, "{\"clients\":[{\"name\":\"x\",\"key\":\"rstream-e2e-v1:" + base64url(all_ff) +
                       "\"}]}");
  ::chmod(file.c_str(), 0600);
  auto list = store().authorized_clients("srv");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  auto authorize = authorize_from_store(store(), "srv");
  EXPECT_EQ(authorize(identity::generate().public_identity()).error().code,
            errc::unauthorized_client);
}

TEST_F(E2eKeyStore, AuthorizerSeesAdditionsAndRemovalsAtOnce) {
  ASSERT_TRUE(store().create_identity("srv"));
  const auto key = identity::generate().public_identity();
  auto authorize = authorize_from_store(store(), "srv");
  auto before = authorize(key);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, errc::unauthorized_client);
  EXPECT_NE(before.error().message.find(key.fingerprint()), std::string::npos);
  ASSERT_TRUE(store().add_authorized_client("srv", {"carol", key, {}}));
  auto during = authorize(key);
  ASSERT_TRUE(during);
  EXPECT_EQ(*during, "carol");
  ASSERT_TRUE(store().remove_authorized_client("srv", "carol"));
  EXPECT_FALSE(authorize(key));

  auto fixed = authorize_clients({{"dave", key, {}}});
  EXPECT_EQ(*fixed(key), "dave");
  EXPECT_EQ(fixed(identity::generate().public_identity()).error().code, errc::unauthorized_client);
}

TEST_F(E2eKeyStore, KnownServersAddFindRemove) {
  const auto k1 = identity::generate().public_identity();
  const auto k2 = identity::generate().public_identity();
  auto none = store().find_known_server("box");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store().add_known_server({"box", k1, {}, {}}));
  ASSERT_TRUE(store().add_known_server({"10.0.0.1:7000", k1, {}, {}}));  // same key, two names
  EXPECT_EQ(mode_of(store().known_servers_file()), 0600u);
  EXPECT_EQ(store().known_servers_file(), dir_ / "webtty" / "known_servers.json");

  auto found = store().find_known_server("box");
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->key, k1);
  EXPECT_TRUE((*found)->client_identity.empty());

  EXPECT_TRUE(store().add_known_server({"box", k1, {}, {}}));  // the same again: no change
  auto changed = store().add_known_server({"box", k2, {}, {}});
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, errc::already_exists);
  EXPECT_NE(changed.error().message.find("known-server remove box"), std::string::npos);

  auto no_client = store().add_known_server({"other", k2, "nobody", {}});
  ASSERT_FALSE(no_client);
  EXPECT_EQ(no_client.error().code, errc::not_found);
  ASSERT_TRUE(store().create_identity("me"));
  ASSERT_TRUE(store().add_known_server({"other", k2, "me", {}}));
  EXPECT_EQ((*store().find_known_server("other"))->client_identity, "me");

  EXPECT_EQ(store().add_known_server({"rstrm://box", k2, {}, {}}).error().code, errc::bad_name);
  auto list = store().known_servers();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);

  ASSERT_TRUE(store().remove_known_server("box"));
  EXPECT_FALSE(*store().find_known_server("box"));
  EXPECT_EQ(store().remove_known_server("box").error().code, errc::not_found);
}

TEST_F(E2eKeyStore, ChoiceOfTheClientIdentity) {
  EXPECT_EQ(store().choose_client_identity(std::nullopt).error().code, errc::not_found);
  ASSERT_TRUE(store().create_identity("solo"));
  EXPECT_EQ(*store().choose_client_identity(std::nullopt), "solo");
  ASSERT_TRUE(store().create_identity("second"));
  auto ambiguous = store().choose_client_identity(std::nullopt);
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message.find("--client-identity"), std::string::npos);
  ASSERT_TRUE(store().create_identity("default"));
  EXPECT_EQ(*store().choose_client_identity(std::nullopt), "default");
  known_server entry{"box", identity::generate().public_identity(), "second", {}};
  EXPECT_EQ(*store().choose_client_identity(entry), "second");
  EXPECT_EQ(*store().choose_client_identity(entry, "solo"), "solo");
}

TEST(E2eKeyRoot, FollowsHome) {
  const char* saved = std::getenv("HOME");
  const std::optional<std::string> old = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv("HOME", "/tmp/some-home", 1);
  EXPECT_EQ(default_key_root(), fs::path("/tmp/some-home/.rstream/webtty"));
  ::setenv("HOME", "", 1);
  EXPECT_FALSE(default_key_root().empty());  // the password database's home
  if (old)
    ::setenv("HOME", old->c_str(), 1);
  else
    ::unsetenv("HOME");
}

TEST_F(E2eKeyStore, ClientsOfExistingIdentityRefusesAnUnknownIdentity) {
  auto missing = store().clients_of_existing_identity("srv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_EQ(missing.error().message, "no identity named 'srv'; see rstream webtty identity list");
  EXPECT_EQ(store().clients_of_existing_identity("bad name").code(), errc::bad_name);
  ASSERT_TRUE(store().create_identity("srv"));
  auto none = store().clients_of_existing_identity("srv");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
}
