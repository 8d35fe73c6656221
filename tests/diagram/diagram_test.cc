// Space-time diagrams (src/diagram): the SVG is well-formed XML for every
// protocol combination, every packet kind drawn is in the legend, a small
// hand-made run produces exactly the expected elements, the window and member
// filters cut it down, oversized selections are refused, and violations are
// highlighted. XML is parsed and queried with libxml2.
#include "diagram/diagram.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "../sim/sim_fixtures.h"
#include "gcast/sim.h"

namespace gcast::diagram {
namespace {

using namespace std::chrono_literals;
using gcast::testing::AllCombos;
using gcast::testing::ComboName;
using gcast::testing::Profile;
using gcast::testing::Scenario;

// A parsed SVG document; Count/Values run XPath queries on it.
class Svg {
 public:
  explicit Svg(const std::string& text)
      : doc_(xmlReadMemory(text.data(), static_cast<int>(text.size()), "diagram.svg", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
             xmlFreeDoc) {}
  bool well_formed() const { return doc_ != nullptr; }

  std::vector<std::string> Values(const std::string& xpath, const char* attribute) const {
    std::vector<std::string> out;
    auto ctx = std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)>(
        xmlXPathNewContext(doc_.get()), xmlXPathFreeContext);
    auto res = std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)>(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx.get()),
        xmlXPathFreeObject);
    if (!res || !res->nodesetval) return out;
    for (int i = 0; i < res->nodesetval->nodeNr; ++i) {
      xmlChar* v = xmlGetProp(res->nodesetval->nodeTab[i],
                              reinterpret_cast<const xmlChar*>(attribute ? attribute : "class"));
      out.push_back(v ? reinterpret_cast<const char*>(v) : "");
      xmlFree(v);
    }
    return out;
  }
  std::size_t Count(const std::string& xpath) const { return Values(xpath, nullptr).size(); }

 private:
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc_;
};

// Plot elements carry data-* attributes; the legend's samples do not.
const char* kArrows = "//*[contains(@class,'arrow') and @data-pkt]";
const char* kDrops = "//*[@class='drop' and @data-pkt]";
const char* kDeliveries = "//*[@class='delivery' and @data-msg]";
const char* kHoldBacks = "//*[@class='holdback' and @data-msg]";
const char* kCrashes = "//*[@class='crash' and @data-member]";
const char* kLanes = "//*[@class='lane']";

std::string Render(const RunTrace& run, const DiagramOptions& o) {
  Result<std::string> svg = RenderDiagram(run, o);
  EXPECT_TRUE(svg.ok()) << svg.status().message();
  return svg.ok() ? *svg : std::string();
}

RunTrace Read(const std::string& text) {
  std::istringstream in(text);
  RunTrace run;
  Status s = ReadRunTrace(in, "test", run);
  EXPECT_TRUE(s.ok()) << s.message();
  return run;
}

RunTrace Simulate(SimOptions o) {
  std::ostringstream trace;
  o.trace = &trace;
  o.trace_packets = true;
  auto r = RunSimulation(o, CheckOptions{});
  EXPECT_TRUE(r.ok());
  return Read(trace.str());
}

// Three members. 0 multicasts 0:1 and 0:2 to the group: 1 gets both, 2 loses
// 0:1 (dropped), gets 0:2 and holds it back, NACKs, gets the repair and
// delivers both; then 1 crashes.
const char* kFixedRun = R"(
{"node":0,"ev":"send","sender":0,"seq":1,"t":10000000}
{"node":0,"ev":"deliver","sender":0,"seq":1,"t":10000000}
{"node":0,"ev":"pkt_send","from":0,"pkt":1,"to":"group","kind":"data","body":"app","msgs":["0:1"],"t":10000000}
{"node":1,"ev":"pkt_recv","from":0,"pkt":1,"to":"group","kind":"data","body":"app","msgs":["0:1"],"t":11000000}
{"node":2,"ev":"pkt_drop","from":0,"pkt":1,"to":"group","kind":"data","body":"app","msgs":["0:1"],"t":10000000}
{"node":1,"ev":"arrive","sender":0,"seq":1,"t":11000000}
{"node":1,"ev":"deliver","sender":0,"seq":1,"t":11000000}
{"node":0,"ev":"send","sender":0,"seq":2,"t":20000000}
{"node":0,"ev":"deliver","sender":0,"seq":2,"t":20000000}
{"node":0,"ev":"pkt_send","from":0,"pkt":2,"to":"group","kind":"data","body":"app","msgs":["0:2"],"t":20000000}
{"node":1,"ev":"pkt_recv","from":0,"pkt":2,"to":"group","kind":"data","body":"app","msgs":["0:2"],"t":21000000}
{"node":1,"ev":"deliver","sender":0,"seq":2,"t":21000000}
{"node":2,"ev":"pkt_recv","from":0,"pkt":2,"to":"group","kind":"data","body":"app","msgs":["0:2"],"t":21000000}
{"node":2,"ev":"arrive","sender":0,"seq":2,"t":21000000}
{"node":2,"ev":"pkt_send","from":2,"pkt":3,"to":0,"kind":"nack","t":23000000}
{"node":0,"ev":"pkt_recv","from":2,"pkt":3,"to":0,"kind":"nack","t":24000000}
{"node":0,"ev":"pkt_send","from":0,"pkt":4,"to":"group","kind":"retransmit","body":"app","msgs":["0:1"],"t":25000000}
{"node":2,"ev":"pkt_recv","from":0,"pkt":4,"to":"group","kind":"retransmit","body":"app","msgs":["0:1"],"t":26000000}
{"node":2,"ev":"arrive","sender":0,"seq":1,"t":26000000}
{"node":2,"ev":"deliver","sender":0,"seq":1,"t":26000000}
{"node":2,"ev":"deliver","sender":0,"seq":2,"t":26000000}
{"node":1,"ev":"crash","t":40000000}
)";

TEST(Diagram, FixedRunProducesLanesArrowsDeliveriesDropsHoldBackAndCrash) {
  const Svg svg(Render(Read(kFixedRun), DiagramOptions{}));
  ASSERT_TRUE(svg.well_formed());
  EXPECT_EQ(svg.Count(kLanes), 3u);
  EXPECT_EQ(svg.Values("//*[@class='lane-label']/..", "data-member"),
            (std::vector<std::string>{"0", "1", "2"}));
  // 0:1 to 1, 0:1 lost to 2, 0:2 to 1 and 2, the NACK, the repair.
  EXPECT_EQ(svg.Values(kArrows, "data-kind"),
            (std::vector<std::string>{"data", "data", "data", "data", "nack", "retransmit"}));
  EXPECT_EQ(svg.Values(kDrops, "data-member"), std::vector<std::string>{"2"});
  EXPECT_EQ(svg.Values(kDeliveries, "data-msg"),
            (std::vector<std::string>{"0:1", "0:1", "0:2", "0:2", "0:1", "0:2"}));
  EXPECT_EQ(svg.Values(kHoldBacks, "data-msg"), std::vector<std::string>{"0:2"});
  EXPECT_EQ(svg.Values(kCrashes, "data-member"), std::vector<std::string>{"1"});
  EXPECT_EQ(svg.Count("//*[@class='send' and @data-msg]"), 2u);
  EXPECT_EQ(svg.Values("//*[@class='legend-item']", "data-kind"),
            (std::vector<std::string>{"data", "retransmit", "nack", "drop", "send", "delivery",
                                      "holdback", "crash"}));
  EXPECT_EQ(svg.Count("//*[contains(@class,'violation')]"), 0u);
}

TEST(Diagram, TimeWindowKeepsOnlyWhatHappensInIt) {
  DiagramOptions o;
  o.from = 22ms;
  o.to = 30ms;
  const Svg svg(Render(Read(kFixedRun), o));
  ASSERT_TRUE(svg.well_formed());
  EXPECT_EQ(svg.Values(kArrows, "data-kind"), (std::vector<std::string>{"nack", "retransmit"}));
  EXPECT_EQ(svg.Count(kDrops), 0u);
  EXPECT_EQ(svg.Values(kDeliveries, "data-msg"), (std::vector<std::string>{"0:1", "0:2"}));
  EXPECT_EQ(svg.Count(kHoldBacks), 1u);  // 21ms-26ms overlaps the window
  EXPECT_EQ(svg.Count(kCrashes), 0u);    // at 40ms: outside
  EXPECT_EQ(svg.Count(kLanes), 3u);
}

TEST(Diagram, MemberSubsetDrawsOnlyTheirLanesAndTheArrowsBetweenThem) {
  DiagramOptions o;
  o.members = {MemberId{2}, MemberId{0}};
  const Svg svg(Render(Read(kFixedRun), o));
  ASSERT_TRUE(svg.well_formed());
  EXPECT_EQ(svg.Values("//*[@class='lane-label']/..", "data-member"),
            (std::vector<std::string>{"2", "0"}));
  EXPECT_EQ(svg.Values(kArrows, "data-kind"),
            (std::vector<std::string>{"data", "data", "nack", "retransmit"}));
  EXPECT_EQ(svg.Count(kCrashes), 0u);
  EXPECT_EQ(svg.Count("//*[@data-member='1']"), 0u);
}

TEST(Diagram, MemberNotInTheTraceIsAnError) {
  DiagramOptions o;
  o.members = {MemberId{7}};
  auto svg = RenderDiagram(Read(kFixedRun), o);
  ASSERT_FALSE(svg.ok());
  EXPECT_NE(svg.status().message().find("member 7 is not in the trace"), std::string::npos);
}

TEST(Diagram, WindowThatEndsBeforeItStartsIsAnError) {
  DiagramOptions o;
  o.from = 30ms;
  o.to = 20ms;
  EXPECT_FALSE(RenderDiagram(Read(kFixedRun), o).ok());
}

TEST(Diagram, TooManyArrowsIsRefusedWithHowToNarrow) {
  DiagramOptions o;
  o.max_arrows = 3;
  auto svg = RenderDiagram(Read(kFixedRun), o);
  ASSERT_FALSE(svg.ok());
  const std::string& m = svg.status().message();
  EXPECT_NE(m.find("6 arrows"), std::string::npos) << m;
  EXPECT_NE(m.find("--from/--to"), std::string::npos) << m;
  EXPECT_NE(m.find("--to 19.9ms keeps at most 3"), std::string::npos) << m;
  EXPECT_NE(m.find("--members"), std::string::npos) << m;
  o.to = 19900us;
  EXPECT_TRUE(RenderDiagram(Read(kFixedRun), o).ok());
}

TEST(Diagram, TooManyLanesIsRefusedWithHowToNarrow) {
  std::string trace;
  for (int m = 0; m <= 40; ++m) {
    trace += "{\"node\":" + std::to_string(m) + ",\"ev\":\"crash\",\"t\":1000}\n";
  }
  auto svg = RenderDiagram(Read(trace), DiagramOptions{});
  ASSERT_FALSE(svg.ok());
  EXPECT_NE(svg.status().message().find("41 lanes"), std::string::npos);
  EXPECT_NE(svg.status().message().find("--members"), std::string::npos);
  DiagramOptions o;
  o.members = {MemberId{3}, MemberId{40}};
  EXPECT_TRUE(RenderDiagram(Read(trace), o).ok());
}

TEST(Diagram, MessagesInvolvedInViolationsAreHighlighted) {
  // Member 1 delivers 0:2 before 0:1: a FIFO violation.
  const char* trace = R"(
{"node":0,"ev":"send","sender":0,"seq":1,"t":1000000}
{"node":0,"ev":"deliver","sender":0,"seq":1,"t":1000000}
{"node":0,"ev":"send","sender":0,"seq":2,"t":2000000}
{"node":0,"ev":"deliver","sender":0,"seq":2,"t":2000000}
{"node":1,"ev":"deliver","sender":0,"seq":2,"t":3000000}
{"node":1,"ev":"deliver","sender":0,"seq":1,"t":4000000}
)";
  DiagramOptions o;
  o.check = CheckOptions::ForOrdering(Ordering::kFifo);
  const Svg svg(Render(Read(trace), o));
  ASSERT_TRUE(svg.well_formed());
  // Every delivery of both messages, at both members.
  EXPECT_EQ(svg.Values("//*[contains(@class,'violation')]/..", "data-msg"),
            (std::vector<std::string>{"0:1", "0:2", "0:2", "0:1"}));
  EXPECT_EQ(svg.Count("//*[@class='legend-item' and @data-kind='violation']"), 1u);
  const auto notes = svg.Values("//*[@class='note']", "class");
  ASSERT_EQ(notes.size(), 1u);  // the violation, in words
  // Without the FIFO check nothing is highlighted.
  const Svg plain(Render(Read(trace), DiagramOptions{}));
  EXPECT_EQ(plain.Count("//*[contains(@class,'violation')]"), 0u);
}

TEST(Diagram, OlderTracesWithoutPacketIdsStillDrawTheirDeliveries) {
  const char* trace = R"(
{"node":0,"ev":"send","sender":0,"seq":1,"t":1000000}
{"node":0,"ev":"deliver","sender":0,"seq":1,"t":1000000}
{"node":0,"ev":"pkt_send","from":0,"kind":"data","t":1000000}
{"node":1,"ev":"pkt_recv","from":0,"kind":"data","t":1500000}
{"node":1,"ev":"deliver","sender":0,"seq":1,"t":1500000}
)";
  const Svg svg(Render(Read(trace), DiagramOptions{}));
  ASSERT_TRUE(svg.well_formed());
  EXPECT_EQ(svg.Count(kArrows), 0u);
  EXPECT_EQ(svg.Count(kDeliveries), 2u);
  EXPECT_EQ(svg.Count("//*[@class='note']"), 1u);
}

TEST(Diagram, MalformedPacketEventIsAnErrorWithItsLine) {
  std::istringstream in("{\"node\":0,\"ev\":\"pkt_send\",\"pkt\":1,\"from\":0,\"kind\":\"zap\"}\n");
  RunTrace run;
  Status s = ReadRunTrace(in, "x.jsonl", run);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("x.jsonl:1: ", 0), 0u) << s.message();
}

TEST(Diagram, TitleIsEscaped) {
  DiagramOptions o;
  o.title = "a <b> & \"c\"";
  const Svg svg(Render(Read(kFixedRun), o));
  EXPECT_TRUE(svg.well_formed());
}

// Every reliability x ordering under loss, duplication and reordering (and
// crashes): the SVG parses, every kind drawn is in the legend, and together
// the runs draw every kind there is.
TEST(Diagram, EveryProtocolCombinationGivesWellFormedSvgWithEveryDrawnKindInTheLegend) {
  std::set<std::string> drawn_anywhere;
  for (const auto& combo : AllCombos()) {
    for (Profile profile : {Profile::kHarsh, Profile::kCrashes}) {
      SimOptions o = Scenario(combo, profile, 5);
      o.messages = 12;
      const RunTrace run = Simulate(o);
      DiagramOptions d;
      d.to = 120ms;
      const std::string text = Render(run, d);
      const Svg svg(text);
      ASSERT_TRUE(svg.well_formed()) << ComboName(combo);
      const auto kinds = svg.Values(kArrows, "data-kind");
      EXPECT_FALSE(kinds.empty()) << ComboName(combo);
      const auto legend = svg.Values("//*[@class='legend-item']", "data-kind");
      const std::set<std::string> in_legend(legend.begin(), legend.end());
      for (const auto& k : kinds) {
        EXPECT_TRUE(in_legend.contains(k)) << ComboName(combo) << ": " << k;
        drawn_anywhere.insert(k);
      }
      EXPECT_EQ(svg.Count(kLanes), o.engine.members) << ComboName(combo);
    }
  }
  // Fragments: a payload larger than a datagram.
  SimOptions big = Scenario(AllCombos()[0], Profile::kNone, 1);
  big.messages = 2;
  big.payload_bytes = 3000;
  const Svg svg(Render(Simulate(big), DiagramOptions{}));
  ASSERT_TRUE(svg.well_formed());
  for (const auto& k : svg.Values(kArrows, "data-kind")) drawn_anywhere.insert(k);
  EXPECT_EQ(drawn_anywhere, (std::set<std::string>{"data", "retransmit", "nack", "ack", "status",
                                                   "order", "propose", "agree", "fragment"}));
}

TEST(SimulatorPacketTrace, PairsEveryReceptionWithItsSendAndRecordsArrivals) {
  SimOptions o = Scenario({Reliability::kIp, Ordering::kTotal, TotalAlgorithm::kSequencer},
                          Profile::kLoss10, 3);
  o.messages = 10;
  const RunTrace run = Simulate(o);
  ASSERT_FALSE(run.packets.empty());
  EXPECT_EQ(run.unpaired_packet_events, 0u);
  bool order = false;
  for (const auto& [key, p] : run.packets) {
    EXPECT_TRUE(p.sent_ns.has_value()) << "packet " << key.second;
    for (const auto& r : p.receptions) EXPECT_GE(r.t_ns, *p.sent_ns);
    order = order || p.kind == ArrowKind::kOrder;
  }
  EXPECT_TRUE(order);
  // Every delivery at a member other than the sender was preceded by an arrival.
  EXPECT_GE(run.arrivals.size(), run.deliveries.size());
  // And the checker still accepts the trace with its extra events.
  auto report = CheckTrace(run.events, CheckOptions::ForOrdering(Ordering::kTotal));
  EXPECT_TRUE(report.ok()) << FormatCheckSummary(report);
}

}  // namespace
}  // namespace gcast::diagram
