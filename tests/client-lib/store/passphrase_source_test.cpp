#include "store/passphrase_source.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "store_test_util.h"

using namespace tocsin::store;
using namespace tocsin::store::testing;
using tocsin::Code;
using tocsin::crypto::SecretBytes;

namespace {

std::string Text(const SecretBytes& secret) {
  return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

}  // namespace

TEST_CASE("a passphrase file gives its first line", "[passphrase]") {
  TempDir dir;
  const auto path = dir.path() / "pass";
  WriteFile(path, "correct horse battery staple\nignored second line\n");
  CHECK(Text(*ReadPassphraseFile(path.string())) == "correct horse battery staple");
  WriteFile(path, "windows line\r\n");
  CHECK(Text(*ReadPassphraseFile(path.string())) == "windows line");
  WriteFile(path, "no newline at all");
  CHECK(Text(*ReadPassphraseFile(path.string())) == "no newline at all");
  WriteFile(path, "  spaces are kept  \n");
  CHECK(Text(*ReadPassphraseFile(path.string())) == "  spaces are kept  ");
}

TEST_CASE("a passphrase file that is empty, missing or too long is refused", "[passphrase]") {
  TempDir dir;
  const auto path = dir.path() / "pass";
  WriteFile(path, "\n");
  CHECK(ReadPassphraseFile(path.string()).status().code() == Code::kInvalidArgument);
  WriteFile(path, std::string(kMaxPassphraseSize + 1, 'x'));
  CHECK(ReadPassphraseFile(path.string()).status().code() == Code::kInvalidArgument);
  WriteFile(path, std::string(kMaxPassphraseSize, 'x'));
  CHECK(ReadPassphraseFile(path.string())->size() == kMaxPassphraseSize);
  CHECK(ReadPassphraseFile((dir.path() / "missing").string()).status().code() == Code::kIoError);
}

TEST_CASE("a passphrase comes through a pipe and leaves the rest unread", "[passphrase]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string input = "piped secret\nthe rest";
  REQUIRE(::write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  auto passphrase = ReadPassphraseFd(fds[0]);
  REQUIRE(passphrase.ok());
  CHECK(Text(*passphrase) == "piped secret");
  char rest[16] = {};
  CHECK(::read(fds[0], rest, sizeof rest) == 8);
  CHECK(std::string(rest) == "the rest");
  ::close(fds[0]);
}

TEST_CASE("an empty pipe gives no passphrase", "[passphrase]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[1]);
  CHECK(ReadPassphraseFd(fds[0]).status().code() == Code::kInvalidArgument);
  ::close(fds[0]);
}

TEST_CASE("a passphrase from a pipe opens the store", "[passphrase][store]") {
  TempDir dir;
  { REQUIRE(CreateStore(dir.store(), "from a pipe")); }
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  REQUIRE(::write(fds[1], "from a pipe\n", 12) == 12);
  ::close(fds[1]);
  auto passphrase = ReadPassphraseFd(fds[0]);
  ::close(fds[0]);
  REQUIRE(passphrase.ok());
  CHECK(DeviceStore::Open(dir.store(), *passphrase, TestOptions()).ok());
}

TEST_CASE("the prompt reads with echo off and restores the terminal", "[passphrase]") {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const int tty = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(tty >= 0);
  termios before{};
  REQUIRE(::tcgetattr(tty, &before) == 0);
  REQUIRE((before.c_lflag & ECHO) != 0);

  tocsin::Result<SecretBytes> passphrase = tocsin::Status::Internal("not read");
  std::thread prompt([&] { passphrase = PromptPassphraseOn(tty, "Passphrase: "); });
  // Type only once the prompt is shown (echo is off by then).
  std::string shown;
  char buffer[256];
  while (shown.find("Passphrase: ") == std::string::npos) {
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    REQUIRE(n > 0);
    shown.append(buffer, static_cast<std::size_t>(n));
  }
  REQUIRE(::write(master, "typed secret\n", 13) == 13);
  prompt.join();
  REQUIRE(passphrase.ok());
  CHECK(Text(*passphrase) == "typed secret");

  termios after{};
  REQUIRE(::tcgetattr(tty, &after) == 0);
  CHECK((after.c_lflag & ECHO) != 0);
  // Whatever the terminal echoed back: the line end, never the passphrase.
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  ssize_t n;
  while ((n = ::read(master, buffer, sizeof buffer)) > 0) shown.append(buffer, n);
  CHECK(shown.find("typed secret") == std::string::npos);
  ::close(tty);
  ::close(master);
}

TEST_CASE("the prompt refuses something that is not a terminal", "[passphrase]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  CHECK(PromptPassphraseOn(fds[0], "Passphrase: ").status().code() == Code::kInvalidArgument);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("a passphrase taken from the environment is removed from it", "[passphrase]") {
  REQUIRE(::setenv("TOCSIN_TEST_PASSPHRASE", "demo only", 1) == 0);
  auto passphrase = TakePassphraseFromEnvironment("TOCSIN_TEST_PASSPHRASE");
  REQUIRE(passphrase.ok());
  CHECK(Text(*passphrase) == "demo only");
  CHECK(std::getenv("TOCSIN_TEST_PASSPHRASE") == nullptr);
  CHECK(TakePassphraseFromEnvironment("TOCSIN_TEST_PASSPHRASE").status().code() == Code::kNotFound);
}
