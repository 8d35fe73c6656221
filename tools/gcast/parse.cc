#include "parse.h"

#include <charconv>
#include <cstdio>

#include "common/duration.h"

namespace gcast::tool {
namespace {

Result<std::uint32_t> ParseMember(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a member id");
  }
  return v;
}

}  // namespace

// The library's parser, whose message keeps the tool's "'X' is not a duration" form.
Result<Duration> ParseDuration(std::string_view s) { return gcast::ParseDuration(s); }

Result<SimCrash> ParseCrash(std::string_view s) {
  const Status bad = Status::InvalidArgument(
      "crash '" + std::string(s) + "': expected MEMBER@TIME or MEMBER@TIME:mid (e.g. 3@200ms)");
  const auto at = s.find('@');
  if (at == std::string_view::npos) return bad;
  SimCrash c;
  auto member = ParseMember(s.substr(0, at));
  if (!member.ok()) return bad;
  c.member = MemberId{*member};
  std::string_view rest = s.substr(at + 1);
  if (rest.ends_with(":mid")) {
    c.mid_multicast = true;
    rest.remove_suffix(4);
  }
  auto t = ParseDuration(rest);
  if (!t.ok()) return bad;
  c.at = *t;
  return c;
}

Result<SimPartition> ParsePartition(std::string_view s) {
  const Status bad = Status::InvalidArgument(
      "partition '" + std::string(s) + "': expected M1,M2,...@FROM-TO (e.g. 1,2@100ms-600ms)");
  const auto at = s.find('@');
  const auto dash = s.find('-', at == std::string_view::npos ? 0 : at);
  if (at == std::string_view::npos || dash == std::string_view::npos) return bad;
  SimPartition p;
  std::string_view members = s.substr(0, at);
  while (!members.empty()) {
    const auto comma = members.find(',');
    auto m = ParseMember(members.substr(0, comma));
    if (!m.ok()) return bad;
    p.side.push_back(MemberId{*m});
    if (comma == std::string_view::npos) break;
    members.remove_prefix(comma + 1);
  }
  auto from = ParseDuration(s.substr(at + 1, dash - at - 1));
  auto to = ParseDuration(s.substr(dash + 1));
  if (!from.ok() || !to.ok() || p.side.empty()) return bad;
  p.from = *from;
  p.to = *to;
  return p;
}

std::string FormatDuration(Duration d) {
  char buf[32];
  const double ns = static_cast<double>(d.count());
  if (ns >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3fs", ns / 1e9);
  } else if (ns >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3fms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fus", ns / 1e3);
  }
  return buf;
}

}  // namespace gcast::tool
