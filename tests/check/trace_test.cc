// Tests of the trace format: formatting, parsing, round trips and the
// rejection of malformed lines with their line numbers.
#include "gcast/trace.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace gcast {
namespace {

TraceEvent Event(std::uint32_t node, TraceEventType type, std::uint32_t sender = 0,
                 std::uint64_t seq = 0, std::optional<std::int64_t> t = std::nullopt) {
  TraceEvent e;
  e.node = MemberId{node};
  e.type = type;
  e.id = MessageId{MemberId{sender}, Seq{seq}};
  e.t_ns = t;
  return e;
}

void ExpectSameEvent(const TraceEvent& a, const TraceEvent& b) {
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.type, b.type);
  if (a.type == TraceEventType::kSend || a.type == TraceEventType::kDeliver) {
    EXPECT_EQ(a.id, b.id);
  }
  EXPECT_EQ(a.t_ns, b.t_ns);
  EXPECT_EQ(a.other_ev, b.other_ev);
}

Result<std::vector<TraceEvent>> Read(const std::string& text) {
  std::istringstream in(text);
  return ReadTrace(in, "run.jsonl");
}

TEST(TraceFormat, WritesFieldsInTheOrderNodeEvSenderSeqTime) {
  EXPECT_EQ(FormatTraceEvent(Event(2, TraceEventType::kSend, 2, 7, 1000000)),
            R"({"node":2,"ev":"send","sender":2,"seq":7,"t":1000000})");
  EXPECT_EQ(FormatTraceEvent(Event(3, TraceEventType::kDeliver, 2, 7, 1200000)),
            R"({"node":3,"ev":"deliver","sender":2,"seq":7,"t":1200000})");
}

TEST(TraceFormat, OmitsTimeWhenUnsetAndMessageFieldsForCrash) {
  EXPECT_EQ(FormatTraceEvent(Event(3, TraceEventType::kDeliver, 2, 7)),
            R"({"node":3,"ev":"deliver","sender":2,"seq":7})");
  EXPECT_EQ(FormatTraceEvent(Event(4, TraceEventType::kCrash, 9, 9, 5000000)),
            R"({"node":4,"ev":"crash","t":5000000})");
}

TEST(TraceFormat, EscapesTheNameOfOtherEvents) {
  TraceEvent e = Event(1, TraceEventType::kOther);
  e.other_ev = "we\"ird\\\n";
  const std::string line = FormatTraceEvent(e);
  EXPECT_EQ(line, R"({"node":1,"ev":"we\"ird\\\u000a"})");
  auto back = ParseTraceEvent(line);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameEvent(*back, e);
}

TEST(TraceFormat, AppendReusesTheCallersBuffer) {
  std::string out = "x";
  AppendTraceEvent(Event(0, TraceEventType::kCrash), out);
  EXPECT_EQ(out, R"(x{"node":0,"ev":"crash"})");
}

TEST(TraceRead, RoundTripsEveryEventType) {
  TraceEvent other = Event(5, TraceEventType::kOther, 0, 0, 42);
  other.other_ev = "pkt_drop";
  const std::vector<TraceEvent> events = {
      Event(2, TraceEventType::kSend, 2, 7, 1000000),
      Event(3, TraceEventType::kDeliver, 2, 7),
      Event(4, TraceEventType::kCrash, 0, 0, 5000000),
      other,
  };
  std::string text;
  for (const TraceEvent& e : events) text += FormatTraceEvent(e) + "\n";
  auto back = Read(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) ExpectSameEvent((*back)[i], events[i]);
}

TEST(TraceRead, RoundTripsTheLargestValues) {
  constexpr auto kMaxNode = std::numeric_limits<std::uint32_t>::max();
  constexpr auto kMaxSeq = std::numeric_limits<std::uint64_t>::max();
  constexpr auto kMaxTime = std::numeric_limits<std::int64_t>::max();
  const TraceEvent e = Event(kMaxNode, TraceEventType::kDeliver, kMaxNode, kMaxSeq, kMaxTime);
  auto back = ParseTraceEvent(FormatTraceEvent(e));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameEvent(*back, e);
}

TEST(TraceRead, KeepsOtherEventsByNameAndIgnoresTheirExtraFields) {
  auto events = Read(R"({"node":1,"ev":"pkt_send","kind":"nack","bytes":120,"t":5})");
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type, TraceEventType::kOther);
  EXPECT_EQ((*events)[0].other_ev, "pkt_send");
  EXPECT_EQ((*events)[0].node, MemberId{1});
  EXPECT_EQ((*events)[0].t_ns, 5);
}

TEST(TraceRead, SkipsBlankLinesAndAcceptsCrlf) {
  auto events = Read("\n{\"node\":1,\"ev\":\"crash\"}\r\n   \n{\"node\":2,\"ev\":\"crash\"}");
  ASSERT_TRUE(events.ok()) << events.status().message();
  EXPECT_EQ(events->size(), 2u);
}

TEST(TraceRead, RejectsMalformedLinesNamingFileLineAndReason) {
  struct Case {
    std::string line;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {R"({"node":1,"ev":"crash")", "not valid JSON"},
      {R"([1,2])", "not a JSON object"},
      {R"({"ev":"crash"})", "missing \"node\""},
      {R"({"node":"1","ev":"crash"})", "\"node\" is not an integer"},
      {R"({"node":1.5,"ev":"crash"})", "\"node\" is not an integer"},
      {R"({"node":-1,"ev":"crash"})", "\"node\" is negative"},
      {R"({"node":4294967296,"ev":"crash"})", "\"node\" out of range"},
      {R"({"node":1})", "missing \"ev\""},
      {R"({"node":1,"ev":3})", "\"ev\" is not a string"},
      {R"({"node":1,"ev":"deliver","seq":1})", "missing \"sender\""},
      {R"({"node":1,"ev":"deliver","sender":2})", "missing \"seq\""},
      {R"({"node":1,"ev":"deliver","sender":2,"seq":-3})", "\"seq\" is negative"},
      {R"({"node":1,"ev":"deliver","sender":2,"seq":0})", "\"seq\" is 0"},
      {R"({"node":1,"ev":"deliver","sender":2,"seq":1e30})", "\"seq\" is not an integer"},
      {R"({"node":1,"ev":"send","sender":2,"seq":1})", "send by node 1 names sender 2"},
      {R"({"node":1,"ev":"crash","t":-5})", "\"t\" is negative"},
      {R"({"node":1,"ev":"crash","t":"now"})", "\"t\" is not an integer"},
      {R"({"node":1,"ev":"crash","t":9223372036854775808})", "\"t\" out of range"},
  };
  for (const Case& c : cases) {
    const std::string text = "{\"node\":1,\"ev\":\"crash\"}\n\n" + c.line + "\n";
    auto events = Read(text);
    ASSERT_FALSE(events.ok()) << c.line;
    EXPECT_EQ(events.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(events.status().message().rfind("run.jsonl:3: ", 0), 0u) << events.status().message();
    EXPECT_NE(events.status().message().find(c.reason), std::string::npos)
        << c.line << " -> " << events.status().message();
  }
}

TEST(TraceRead, ReportsAFileThatCannotBeOpenedByName) {
  auto events = ReadTraceFile("/nonexistent/dir/run.jsonl");
  ASSERT_FALSE(events.ok());
  EXPECT_NE(events.status().message().find("/nonexistent/dir/run.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace gcast
