// chat: a minimal group chat on gcast, meant to be copied.
//
//   gcast_example_chat GROUP_FILE MEMBER_ID
//
// Joins the group described by GROUP_FILE (TOML, see examples/groups/) as
// member MEMBER_ID, multicasts every line typed on standard input, and prints
// every message the group delivers, its own included, as "[sender:seq] text"
// in the order the group's `ordering` promises. On end of input (Ctrl-D) it
// waits until every member holds its messages, then leaves.
// Exit status: 0 ok, 1 a send or the final flush failed, 2 bad arguments or
// the member could not start.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "gcast/config.h"
#include "gcast/member.h"
#include "gcast/status.h"

namespace {

using namespace std::chrono_literals;

// How long Multicast() may wait while the send window is full (the group has
// not yet acknowledged enough of our messages), and how long the final flush
// may wait for every member to hold our messages.
constexpr auto kSendTimeout = 5s;
constexpr auto kFlushTimeout = 5s;

int Usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " GROUP_FILE MEMBER_ID\n"
            << "  GROUP_FILE  a group file, e.g. examples/groups/unicast_fanout.toml\n"
            << "  MEMBER_ID   this member's id in that file (0, 1, 2, ...)\n";
  return 2;
}

int Fail(std::string_view what, const gcast::Status& status) {
  std::cerr << "chat: " << what << ": " << status.message() << "\n";
  return 2;
}

// A member id is a plain decimal number; anything else is an error.
bool ParseMemberId(std::string_view text, std::uint32_t& id) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage(argv[0]);

  // 1. The group: who the members are, where they listen, which guarantees.
  //    LoadGroupConfig names the file and the field in its errors.
  auto config = gcast::LoadGroupConfig(argv[1]);
  if (!config.ok()) return Fail("bad group file", config.status());

  std::uint32_t id = 0;
  if (!ParseMemberId(argv[2], id)) {
    std::cerr << "chat: member id '" << argv[2] << "' is not a number\n";
    return Usage(argv[0]);
  }
  const gcast::MemberId self{id};
  if (gcast::Status s = config->CheckMember(self); !s.ok()) return Fail(argv[1], s);

  // 2. Start the member. Deliveries arrive on the member's own thread, one at
  //    a time and already in order; the callback must not call Shutdown().
  //    Only this thread prints to stdout, so no lock is needed.
  gcast::MemberOptions options;
  options.on_delivery = [](const gcast::Delivery& d) {
    const std::string_view text(reinterpret_cast<const char*>(d.payload.data()), d.payload.size());
    std::cout << "[" << d.id.sender.value << ":" << d.id.seq.value << "] " << text << std::endl;
  };
  auto started = gcast::Member::Start(*config, self, std::move(options));
  if (!started.ok()) return Fail("cannot join the group", started.status());
  std::unique_ptr<gcast::Member> member = std::move(*started);
  std::cerr << "chat: member " << id << " of " << config->members.size()
            << " joined; type lines to send, Ctrl-D to leave\n";

  // 3. Multicast each line. Multicast() is thread-safe and returns as soon as
  //    the message is handed to the engine; it blocks only while the send
  //    window is full, i.e. while other members have not caught up.
  int code = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto bytes = std::as_bytes(std::span(line.data(), line.size()));
    auto sent = member->Multicast(bytes, kSendTimeout);
    if (sent.ok()) continue;
    switch (sent.status().code()) {
      case gcast::StatusCode::kInvalidArgument:  // e.g. longer than max_message_bytes
        std::cerr << "chat: not sent: " << sent.status().message() << "\n";
        continue;
      case gcast::StatusCode::kWouldBlock:  // a member is missing or far behind
        std::cerr << "chat: not sent: " << sent.status().message()
                  << " (is every member of the group running?)\n";
        continue;
      default:
        std::cerr << "chat: cannot send: " << sent.status().message() << "\n";
        code = 1;
        break;
    }
    break;
  }

  // 4. Leave: wait until every member holds our messages, then stop. The group
  //    is closed, so this needs every member listed in the group file.
  if (gcast::Status s = member->Shutdown(kFlushTimeout); !s.ok()) {
    std::cerr << "chat: " << s.message() << " (did a member leave, or never start?)\n";
    code = 1;
  }
  return code;
}
