// Rendering a Scene as SVG (src/diagram/diagram.h): the geometry and the
// drawing. Lanes run left to right at fixed spacing; x is linear in time over
// the window; everything in the plot is clipped to the window. Each element
// carries a class (lane, arrow, drop, delivery, send, holdback, crash,
// legend-item, violation) and data-* attributes naming what it shows, so the
// output can be inspected by tools and tests, and a <title> a browser shows
// on hover. The output is deterministic for a given scene.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "diagram/diagram.h"
#include "diagram/scene.h"

namespace gcast::diagram {
namespace {

struct KindStyle {
  const char* color;
  const char* dash;  // stroke-dasharray, "" for solid
  const char* label;
};

// Indexed by ArrowKind. Okabe-Ito colours (told apart with colour blindness).
constexpr KindStyle kStyles[kArrowKindCount] = {
    {"#0072B2", "", "data"},
    {"#E69F00", "7 4", "retransmission / repair"},
    {"#D55E00", "", "NACK"},
    {"#999999", "2 3", "ack"},
    {"#56B4E9", "2 3", "status (ack vector, stability)"},
    {"#009E73", "", "sequencer order"},
    {"#CC79A7", "", "ISIS proposal"},
    {"#7B3294", "", "ISIS agreement"},
    {"#0F8F8F", "9 3 2 3", "fragment"},
};

constexpr double kLeft = 120, kRight = 50, kTop = 70, kLaneGap = 90;
constexpr double kMinWidth = 900, kMaxWidth = 4000, kPerColumn = 16;

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string Msg(MessageId id) {
  return std::to_string(id.sender.value) + ":" + std::to_string(id.seq.value);
}

class SvgWriter {
 public:
  SvgWriter(const Scene& scene, std::string_view title) : s_(scene), title_(title) {
    for (std::size_t i = 0; i < s_.lanes.size(); ++i) lane_index_[s_.lanes[i]] = i;
    std::size_t columns = 0;
    std::uint64_t last_packet = 0;
    for (const Arrow& a : s_.arrows) {
      if (a.packet != last_packet) ++columns;
      last_packet = a.packet;
    }
    std::map<std::uint32_t, std::size_t> per_lane;
    for (const Dot& d : s_.deliveries) columns = std::max(columns, ++per_lane[d.node.value]);
    width_ = std::clamp(kPerColumn * static_cast<double>(columns), kMinWidth, kMaxWidth);
    axis_y_ = LaneY(s_.lanes.empty() ? 0 : s_.lanes.size() - 1) + 45;
  }

  std::string Write() {
    std::string body;
    std::swap(body, out_);
    Lanes();
    out_ += "<g clip-path=\"url(#plot)\">\n";
    HoldBacks();
    Arrows();
    Sends();
    Deliveries();
    out_ += "</g>\n";
    Crashes();
    Axis();
    const double bottom = Legend(axis_y_ + 55);
    const double height = Notes(bottom + 10) + 20;
    std::string drawing;
    std::swap(drawing, out_);
    Header(height);
    out_ += drawing;
    out_ += "</svg>\n";
    return out_;
  }

 private:
  double TotalWidth() const { return kLeft + width_ + kRight; }
  double X(std::int64_t t) const {
    const double span = static_cast<double>(s_.to_ns - s_.from_ns);
    return kLeft + width_ * static_cast<double>(t - s_.from_ns) / span;
  }
  double LaneY(std::size_t i) const { return kTop + 30 + kLaneGap * static_cast<double>(i); }
  double Y(MemberId m) const { return LaneY(lane_index_.at(m.value)); }

  void Header(double height) {
    const std::string w = Num(TotalWidth()), h = Num(height);
    out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
            "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"DejaVu Sans, sans-serif\">\n";
    out_ += "<style>\n";
    out_ += ".lane{stroke:#333;stroke-width:1.5}.lane-label{font-size:13px;fill:#111}\n";
    out_ += ".arrow{fill:none;stroke-width:1.4}.drop{stroke:#C00000;stroke-width:2.2}\n";
    out_ += ".delivery{fill:#111}.dlabel{font-size:9px;fill:#333}.send{fill:#fff;stroke:#111}\n";
    out_ += ".holdback{fill:#F0A030;fill-opacity:0.35}";
    out_ += ".holdback-never{fill:#F0A030;fill-opacity:0.2;stroke:#C00000;stroke-dasharray:3 2}\n";
    out_ += ".crash{stroke:#000;stroke-width:3.5}.halo{stroke:#FFD000;stroke-width:8;";
    out_ += "stroke-opacity:0.75;fill:none}.ring{fill:none;stroke:#E0A000;stroke-width:3}\n";
    out_ += ".axis{stroke:#333;stroke-width:1}.tick{font-size:11px;fill:#333}";
    out_ += ".grid{stroke:#ddd;stroke-width:1}\n";
    out_ += ".title{font-size:16px;font-weight:bold}.sub{font-size:12px;fill:#444}";
    out_ += ".legend{font-size:12px;fill:#111}.note{font-size:12px;fill:#A00000}\n";
    for (std::size_t k = 0; k < kArrowKindCount; ++k) {
      out_ += std::string(".k-") + std::string(ToString(static_cast<ArrowKind>(k))) +
              "{stroke:" + kStyles[k].color + (*kStyles[k].dash ? ";stroke-dasharray:" : "") +
              kStyles[k].dash + "}\n";
    }
    out_ += "</style>\n<defs>\n";
    for (std::size_t k = 0; k < kArrowKindCount; ++k) {
      out_ += std::string("<marker id=\"head-") + std::string(ToString(static_cast<ArrowKind>(k))) +
              "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
              "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" +
              kStyles[k].color + "\"/></marker>\n";
    }
    out_ += "<clipPath id=\"plot\"><rect x=\"" + Num(kLeft - 4) + "\" y=\"0\" width=\"" +
            Num(width_ + 8) + "\" height=\"" + Num(axis_y_) + "\"/></clipPath>\n</defs>\n";
    out_ += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    if (!title_.empty()) {
      out_ += "<text class=\"title\" x=\"20\" y=\"26\">" + Escape(title_) + "</text>\n";
    }
    out_ += "<text class=\"sub\" x=\"20\" y=\"48\">" + Escape(Subtitle()) + "</text>\n";
  }

  std::string Subtitle() const {
    std::string s =
        std::to_string(s_.lanes.size()) + " members, " + FormatNanos(s_.from_ns - s_.origin_ns) +
        " to " + FormatNanos(s_.to_ns - s_.origin_ns) + ", " + std::to_string(s_.arrows.size()) +
        " packet arrows, " + std::to_string(s_.deliveries.size()) + " deliveries; check: ";
    s += s_.violation_count == 0 ? std::string("ok")
                                 : std::to_string(s_.violation_count) + " violations (highlighted)";
    return s;
  }

  void Lanes() {
    for (std::size_t i = 0; i < s_.lanes.size(); ++i) {
      const std::uint32_t m = s_.lanes[i];
      const double y = LaneY(i);
      double end = kLeft + width_;
      if (auto c = s_.crashes.find(m); c != s_.crashes.end()) {
        end = std::clamp(X(c->second), kLeft, kLeft + width_);
      }
      out_ += "<g data-member=\"" + std::to_string(m) + "\"><line class=\"lane\" x1=\"" +
              Num(kLeft) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(end) + "\" y2=\"" + Num(y) +
              "\"/><text class=\"lane-label\" x=\"" + Num(kLeft - 12) + "\" y=\"" + Num(y + 4) +
              "\" text-anchor=\"end\">member " + std::to_string(m) + "</text></g>\n";
    }
  }

  void HoldBacks() {
    for (const HoldBack& h : s_.holdbacks) {
      const double x0 = X(h.t0_ns), x1 = X(h.t1_ns), y = Y(h.node);
      out_ += std::string("<rect class=\"") + (h.delivered ? "holdback" : "holdback-never") +
              "\" data-member=\"" + std::to_string(h.node.value) + "\" data-msg=\"" + Msg(h.id) +
              "\" x=\"" + Num(x0) + "\" y=\"" + Num(y - 8) + "\" width=\"" +
              Num(std::max(1.0, x1 - x0)) + "\" height=\"16\"><title>member " +
              std::to_string(h.node.value) + " held " + Msg(h.id) + " back " +
              (h.delivered ? "for " + FormatNanos(h.t1_ns - h.t0_ns)
                           : std::string("(never delivered)")) +
              "</title></rect>\n";
      if (h.highlight) {
        out_ += "<rect class=\"violation halo\" x=\"" + Num(x0) + "\" y=\"" + Num(y - 8) +
                "\" width=\"" + Num(std::max(1.0, x1 - x0)) + "\" height=\"16\"/>\n";
      }
    }
  }

  std::string ArrowTitle(const Arrow& a) const {
    std::string t = "packet " + std::to_string(a.packet) + ": " +
                    std::string(kStyles[static_cast<std::size_t>(a.kind)].label) + " from " +
                    std::to_string(a.from.value) + " at " + FormatNanos(a.t0_ns - s_.origin_ns);
    switch (a.end) {
      case Arrow::End::kReceived:
        t += ", received by " + std::to_string(a.to.value) + " at " +
             FormatNanos(a.t1_ns - s_.origin_ns);
        break;
      case Arrow::End::kDropped:
        t += ", lost on the way to " + std::to_string(a.to.value);
        break;
      case Arrow::End::kLostBeforeFanOut:
        t += ", lost before fan-out: nobody got it";
        break;
    }
    for (std::size_t i = 0; i < a.messages.size(); ++i)
      t += (i ? ", " : "; carries ") + Msg(a.messages[i]);
    return t;
  }

  void Arrows() {
    for (const Arrow& a : s_.arrows) {
      const double x0 = X(a.t0_ns), y0 = Y(a.from);
      double x1 = X(a.t1_ns), y1 = Y(a.to);
      if (a.end == Arrow::End::kDropped) y1 = (y0 + y1) / 2;
      if (a.end == Arrow::End::kLostBeforeFanOut) {
        const bool last = lane_index_.at(a.from.value) + 1 == s_.lanes.size();
        y1 = y0 + (last ? -kLaneGap / 3 : kLaneGap / 3);
      }
      const std::string kind(ToString(a.kind));
      const std::string coords = "x1=\"" + Num(x0) + "\" y1=\"" + Num(y0) + "\" x2=\"" + Num(x1) +
                                 "\" y2=\"" + Num(y1) + "\"";
      if (a.highlight) out_ += "<line class=\"violation halo\" " + coords + "/>\n";
      out_ += "<line class=\"arrow k-" + kind + "\" data-kind=\"" + kind + "\" data-pkt=\"" +
              std::to_string(a.packet) + "\" " + coords;
      if (a.end == Arrow::End::kReceived) out_ += " marker-end=\"url(#head-" + kind + ")\"";
      out_ += "><title>" + Escape(ArrowTitle(a)) + "</title></line>\n";
      if (a.end != Arrow::End::kReceived) Cross(x1, y1, a);
    }
  }

  void Cross(double x, double y, const Arrow& a) {
    constexpr double r = 5;
    out_ += "<g class=\"drop\" data-pkt=\"" + std::to_string(a.packet) + "\" data-member=\"" +
            std::to_string(a.to.value) + "\"><line x1=\"" + Num(x - r) + "\" y1=\"" + Num(y - r) +
            "\" x2=\"" + Num(x + r) + "\" y2=\"" + Num(y + r) + "\"/><line x1=\"" + Num(x - r) +
            "\" y1=\"" + Num(y + r) + "\" x2=\"" + Num(x + r) + "\" y2=\"" + Num(y - r) +
            "\"/></g>\n";
  }

  void Sends() {
    for (const Dot& d : s_.sends) {
      const double x = X(d.t_ns), y = Y(d.node);
      out_ += "<rect class=\"send\" data-member=\"" + std::to_string(d.node.value) +
              "\" data-msg=\"" + Msg(d.id) + "\" x=\"" + Num(x - 4) + "\" y=\"" + Num(y - 4) +
              "\" width=\"8\" height=\"8\"><title>member " + std::to_string(d.node.value) +
              " multicasts " + Msg(d.id) + " at " + FormatNanos(d.t_ns - s_.origin_ns) +
              "</title></rect>\n";
    }
  }

  void Deliveries() {
    for (const Dot& d : s_.deliveries) {
      const double x = X(d.t_ns), y = Y(d.node);
      const std::string msg = Msg(d.id);
      out_ += "<g class=\"delivery\" data-member=\"" + std::to_string(d.node.value) +
              "\" data-msg=\"" + msg + "\">";
      if (d.highlight) {
        out_ += "<circle class=\"violation ring\" cx=\"" + Num(x) + "\" cy=\"" + Num(y) +
                "\" r=\"8\"/>";
      }
      out_ += "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) +
              "\" r=\"3.5\"/><text class=\"dlabel\" x=\"" + Num(x + 2) + "\" y=\"" + Num(y - 7) +
              "\" transform=\"rotate(-40 " + Num(x + 2) + " " + Num(y - 7) + ")\">" + msg +
              "</text><title>member " + std::to_string(d.node.value) + " delivers " + msg + " at " +
              FormatNanos(d.t_ns - s_.origin_ns) + "</title></g>\n";
    }
  }

  void Crashes() {
    for (const auto& [m, t] : s_.crashes) {
      const double x = X(t);
      if (x < kLeft || x > kLeft + width_) continue;
      const double y = Y(MemberId{m});
      constexpr double r = 9;
      out_ += "<g class=\"crash\" data-member=\"" + std::to_string(m) + "\"><line x1=\"" +
              Num(x - r) + "\" y1=\"" + Num(y - r) + "\" x2=\"" + Num(x + r) + "\" y2=\"" +
              Num(y + r) + "\"/><line x1=\"" + Num(x - r) + "\" y1=\"" + Num(y + r) + "\" x2=\"" +
              Num(x + r) + "\" y2=\"" + Num(y - r) + "\"/><text class=\"tick\" x=\"" + Num(x + 12) +
              "\" y=\"" + Num(y + 22) + "\" stroke=\"none\">crash at " +
              FormatNanos(t - s_.origin_ns) + "</text></g>\n";
    }
  }

  void Axis() {
    const double y = axis_y_;
    out_ += "<g class=\"time-axis\"><line class=\"axis\" x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y) +
            "\" x2=\"" + Num(kLeft + width_) + "\" y2=\"" + Num(y) + "\"/>\n";
    const double span = static_cast<double>(s_.to_ns - s_.from_ns);
    const double raw = span / std::max(2.0, width_ / 110);
    double step = std::pow(10.0, std::floor(std::log10(raw)));
    for (double f : {2.0, 5.0, 10.0}) {
      if (step >= raw) break;
      step = std::pow(10.0, std::floor(std::log10(raw))) * f;
    }
    const auto step_ns = std::max<std::int64_t>(1, static_cast<std::int64_t>(step));
    const std::int64_t rel_from = s_.from_ns - s_.origin_ns;
    std::int64_t tick = (rel_from / step_ns) * step_ns;
    if (tick < rel_from) tick += step_ns;
    for (; tick + s_.origin_ns <= s_.to_ns; tick += step_ns) {
      const double x = X(tick + s_.origin_ns);
      out_ += "<line class=\"grid\" x1=\"" + Num(x) + "\" y1=\"" + Num(kTop + 10) + "\" x2=\"" +
              Num(x) + "\" y2=\"" + Num(y) + "\"/><line class=\"axis\" x1=\"" + Num(x) +
              "\" y1=\"" + Num(y) + "\" x2=\"" + Num(x) + "\" y2=\"" + Num(y + 5) +
              "\"/><text class=\"tick\" x=\"" + Num(x) + "\" y=\"" + Num(y + 18) +
              "\" text-anchor=\"middle\">" + FormatNanos(tick) + "</text>\n";
    }
    out_ += "<text class=\"tick\" x=\"" + Num(kLeft + width_ / 2) + "\" y=\"" + Num(y + 36) +
            "\" text-anchor=\"middle\">" +
            (s_.virtual_time ? "time (virtual, since the run started)"
                             : "time (since the trace's first event)") +
            "</text></g>\n";
  }

  // One legend entry: a sample drawn by `sample` at (x, y), then its label.
  template <typename F>
  void Item(const std::string& key, const std::string& label, F sample) {
    const double item_width = 70 + 7.5 * static_cast<double>(label.size());
    if (legend_x_ + item_width > TotalWidth() - 10 && legend_x_ > 20) {
      legend_x_ = 20;
      legend_y_ += 22;
    }
    out_ += "<g class=\"legend-item\" data-kind=\"" + key + "\">";
    sample(legend_x_, legend_y_);
    out_ += "<text class=\"legend\" x=\"" + Num(legend_x_ + 46) + "\" y=\"" + Num(legend_y_ + 4) +
            "\">" + Escape(label) + "</text></g>\n";
    legend_x_ += item_width;
  }

  double Legend(double top) {
    legend_x_ = 20;
    legend_y_ = top;
    out_ += "<g class=\"legend-box\">\n";
    for (std::size_t k = 0; k < kArrowKindCount; ++k) {
      if (!s_.kinds_present[k]) continue;
      const std::string kind(ToString(static_cast<ArrowKind>(k)));
      Item(kind, kStyles[k].label, [&](double x, double y) {
        out_ += "<line class=\"arrow k-" + kind + "\" x1=\"" + Num(x) + "\" y1=\"" + Num(y) +
                "\" x2=\"" + Num(x + 36) + "\" y2=\"" + Num(y) + "\" marker-end=\"url(#head-" +
                kind + ")\"/>";
      });
    }
    const bool drops = std::any_of(s_.arrows.begin(), s_.arrows.end(),
                                   [](const Arrow& a) { return a.end != Arrow::End::kReceived; });
    if (drops) {
      Item("drop", "packet lost (cross where it was lost)", [&](double x, double y) {
        out_ += "<g class=\"drop\"><line x1=\"" + Num(x + 12) + "\" y1=\"" + Num(y - 5) +
                "\" x2=\"" + Num(x + 22) + "\" y2=\"" + Num(y + 5) + "\"/><line x1=\"" +
                Num(x + 12) + "\" y1=\"" + Num(y + 5) + "\" x2=\"" + Num(x + 22) + "\" y2=\"" +
                Num(y - 5) + "\"/></g>";
      });
    }
    if (!s_.sends.empty()) {
      Item("send", "multicast issued", [&](double x, double y) {
        out_ += "<rect class=\"send\" x=\"" + Num(x + 14) + "\" y=\"" + Num(y - 4) +
                "\" width=\"8\" height=\"8\"/>";
      });
    }
    if (!s_.deliveries.empty()) {
      Item("delivery", "delivery, labelled sender:seq", [&](double x, double y) {
        out_ += "<circle class=\"delivery\" cx=\"" + Num(x + 18) + "\" cy=\"" + Num(y) +
                "\" r=\"3.5\"/>";
      });
    }
    if (!s_.holdbacks.empty()) {
      Item("holdback", "held back: arrived, not yet delivered", [&](double x, double y) {
        out_ += "<rect class=\"holdback\" x=\"" + Num(x) + "\" y=\"" + Num(y - 7) +
                "\" width=\"36\" height=\"14\"/>";
      });
    }
    if (!s_.crashes.empty()) {
      Item("crash", "crash (end of lane)", [&](double x, double y) {
        out_ += "<g class=\"crash\"><line x1=\"" + Num(x + 12) + "\" y1=\"" + Num(y - 6) +
                "\" x2=\"" + Num(x + 24) + "\" y2=\"" + Num(y + 6) + "\"/><line x1=\"" +
                Num(x + 12) + "\" y1=\"" + Num(y + 6) + "\" x2=\"" + Num(x + 24) + "\" y2=\"" +
                Num(y - 6) + "\"/></g>";
      });
    }
    if (s_.violation_count > 0) {
      Item("violation", "involved in a checker violation", [&](double x, double y) {
        out_ += "<circle class=\"ring\" cx=\"" + Num(x + 18) + "\" cy=\"" + Num(y) + "\" r=\"7\"/>";
      });
    }
    out_ += "</g>\n";
    return legend_y_ + 14;
  }

  double Notes(double top) {
    double y = top;
    auto note = [&](const std::string& text) {
      y += 18;
      out_ += "<text class=\"note\" x=\"20\" y=\"" + Num(y) + "\">" + Escape(text) + "</text>\n";
    };
    for (const std::string& v : s_.violations) note(v);
    if (s_.violation_count > s_.violations.size()) {
      note("... and " + std::to_string(s_.violation_count - s_.violations.size()) +
           " more violations (gcast check lists them)");
    }
    if (s_.unpaired_packet_events > 0) {
      note(std::to_string(s_.unpaired_packet_events) +
           " packet events without a packet id (an older trace) are not drawn");
    }
    return y;
  }

  const Scene& s_;
  std::string title_;
  std::map<std::uint32_t, std::size_t> lane_index_;
  double width_ = kMinWidth;
  double axis_y_ = 0;
  double legend_x_ = 0;
  double legend_y_ = 0;
  std::string out_;
};

}  // namespace

Result<std::string> RenderDiagram(const RunTrace& run, const DiagramOptions& options) {
  Result<Scene> scene = BuildScene(run, options);
  if (!scene.ok()) return scene.status();
  return SvgWriter(*scene, options.title).Write();
}

}  // namespace gcast::diagram
