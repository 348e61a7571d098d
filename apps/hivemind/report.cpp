#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "hivemind/error.hpp"
#include "hivemind/split/cost_model.hpp"

namespace hivemind::cli {

std::string fmt(double x) {
  if (std::isinf(x)) return "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string layer_range(const split::Boundaries& b, int p) {
  const int first = (p == 0 ? 0 : b[p - 1]) + 1;
  const int last = b[p];
  if (last < first) return "-";
  if (last == first) return std::to_string(first);
  return std::to_string(first) + "-" + std::to_string(last);
}

// Deliver::kSource: the part of the links' transfer that brings s_L back to the UE (the cost
// model charges it to each link between the UE and the node that finishes; Eq. 10 on each
// link's down direction).
static double return_transfer(const split::Problem& problem, const split::Boundaries& b) {
  if (problem.deliver != split::Deliver::kSource) return 0.0;
  double total = 0.0;
  for (int p = 0; p + 1 < problem.node_count() && b[p] < problem.layers; ++p)
    total += split::latency_of(problem.links[p].down).of(problem.cut_bytes(problem.layers));
  return total;
}

std::string format_table(const split::Plan& s) {
  const split::Problem& problem = s.problem;
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "method %s, deliver %s, L = %d layers, P = %d nodes\n",
                s.method.name().c_str(), std::string(split::to_string(problem.deliver)).c_str(),
                problem.layers, problem.node_count());
  out += line;
  std::snprintf(line, sizeof line, "%-4s %-16s %-10s %14s %14s %16s\n", "node", "name", "layers",
                "compute [s]", "cut [bytes]", "transfer [s]");
  out += line;
  for (int p = 0; p < problem.node_count(); ++p) {
    const bool has_link = p + 1 < problem.node_count();
    std::snprintf(line, sizeof line, "%-4d %-16s %-10s %14s %14s %16s\n", p,
                  one_line(problem.nodes[p].name.substr(0, 16)).c_str(),
                  layer_range(s.boundaries, p).c_str(), fmt(s.breakdown.node_compute[p]).c_str(),
                  has_link ? fmt(problem.cut_bytes(s.boundaries[p])).c_str() : "",
                  has_link ? fmt(s.breakdown.link_transfer[p]).c_str() : "");
    out += line;
  }
  double compute = 0, transfer = 0;
  for (double c : s.breakdown.node_compute) compute += c;
  for (double c : s.breakdown.link_transfer) transfer += c;
  std::snprintf(line, sizeof line, "total %s s = compute %s s + transfer %s s", fmt(s.cost).c_str(),
                fmt(compute).c_str(), fmt(transfer).c_str());
  out += line;
  if (problem.deliver == split::Deliver::kSource) {
    std::snprintf(line, sizeof line, " (transfer includes the result's return to the UE, %s s)",
                  fmt(return_transfer(problem, s.boundaries)).c_str());
    out += line;
  }
  out += "\nboundaries [";
  for (std::size_t p = 0; p < s.boundaries.size(); ++p)
    out += (p ? ", " : "") + std::to_string(s.boundaries[p]);
  out += "]\n";
  if (s.method.method == split::Method::kDijkstra) {
    std::snprintf(line, sizeof line, "graph: %lld vertices, %lld edges\n",
                  static_cast<long long>(s.graph.vertices), static_cast<long long>(s.graph.edges));
    out += line;
  }
  return out;
}

std::string format_json(const split::Plan& s) {
  const split::Problem& problem = s.problem;
  using ojson = nlohmann::ordered_json;
  auto num = [](double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); };
  ojson doc;
  doc["method"] = s.method.name();
  doc["deliver"] = std::string(split::to_string(problem.deliver));
  doc["cost"] = num(s.cost);
  doc["boundaries"] = s.boundaries;
  ojson nodes = ojson::array();
  for (int p = 0; p < problem.node_count(); ++p) {
    const int first = (p == 0 ? 0 : s.boundaries[p - 1]) + 1;
    ojson n;
    n["name"] = problem.nodes[p].name;
    n["first_layer"] = first;
    n["last_layer"] = s.boundaries[p];
    n["layer_count"] = std::max(0, s.boundaries[p] - first + 1);
    n["compute"] = num(s.breakdown.node_compute[p]);
    if (p + 1 < problem.node_count()) {
      n["cut_bytes"] = problem.cut_bytes(s.boundaries[p]);
      n["transfer"] = num(s.breakdown.link_transfer[p]);
    }
    nodes.push_back(std::move(n));
  }
  doc["nodes"] = std::move(nodes);
  doc["finishing_node"] = s.breakdown.finishing_node;
  doc["return_transfer"] = num(return_transfer(problem, s.boundaries));
  if (s.method.method == split::Method::kDijkstra)
    doc["graph"] = {{"vertices", s.graph.vertices}, {"edges", s.graph.edges}};
  return doc.dump(2) + "\n";
}

}  // namespace hivemind::cli

// ---------------------------------------------------------------------------------------------
// Extensions (docs/extensions.md).
namespace hivemind::cli {

namespace {

std::string metric_line(const split::MetricValue& v) {
  std::string s = v.name + " " + fmt(v.value);
  if (v.role == "limit")
    s += " (limit <= " + fmt(v.parameter) + (v.met ? ", met)" : ", NOT MET)");
  else if (v.role == "minimize")
    s += " (minimize, weight " + fmt(v.parameter) + ")";
  return s;
}

std::string boundaries_text(const split::Boundaries& b) {
  std::string out = "[";
  for (std::size_t p = 0; p < b.size(); ++p) out += (p ? ", " : "") + std::to_string(b[p]);
  return out + "]";
}

nlohmann::ordered_json ext_json(const split::Plan& s) {
  using ojson = nlohmann::ordered_json;
  auto num = [](double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); };
  ojson doc;
  doc["method"] = s.method.name();
  doc["deliver"] = std::string(split::to_string(s.problem.deliver));
  doc["cost"] = num(s.cost);
  doc["cost_measures"] = s.cost_name;
  doc["boundaries"] = s.boundaries;
  ojson nodes = ojson::array();
  for (int p = 0; p < s.problem.node_count(); ++p) {
    const int first = (p == 0 ? 0 : s.boundaries[p - 1]) + 1;
    ojson n;
    n["name"] = s.problem.nodes[p].name;
    n["first_layer"] = first;
    n["last_layer"] = s.boundaries[p];
    n["layer_count"] = std::max(0, s.boundaries[p] - first + 1);
    n["compute"] = num(s.breakdown.node_compute[p]);
    if (p + 1 < s.problem.node_count()) {
      n["cut_bytes"] = s.problem.cut_bytes(s.boundaries[p]);
      n["transfer"] = num(s.breakdown.link_transfer[p]);
    }
    nodes.push_back(std::move(n));
  }
  doc["nodes"] = std::move(nodes);
  doc["finishing_node"] = s.breakdown.finishing_node;
  doc["finish"] = num(s.breakdown.finish);
  ojson metrics = ojson::array();
  for (const auto& v : s.metrics) {
    ojson m = {{"name", v.name}, {"value", num(v.value)}};
    if (v.role == "limit") {
      m["limit"] = v.parameter;
      m["met"] = v.met;
    } else if (v.role == "minimize") {
      m["weight"] = v.parameter;
    }
    metrics.push_back(std::move(m));
  }
  doc["metrics"] = std::move(metrics);
  if (s.exact)
    doc["exact"] = {{"max_message_bytes", s.exact->max_message_bytes},
                    {"total_message_bytes", s.exact->total_message_bytes},
                    {"max_labels", s.exact->max_labels},
                    {"total_labels", s.exact->total_labels}};
  if (!s.notes.empty()) doc["notes"] = s.notes;
  return doc;
}

}  // namespace

std::string format_ext_table(const split::Plan& s) {
  std::string out;
  char line[320];
  std::snprintf(line, sizeof line, "method %s, deliver %s, L = %d layers, P = %d nodes\n",
                s.method.name().c_str(), std::string(split::to_string(s.problem.deliver)).c_str(),
                s.problem.layers, s.problem.node_count());
  out += line;
  std::snprintf(line, sizeof line, "%-4s %-16s %-10s %14s %14s %16s\n", "node", "name", "layers",
                "compute", "cut [bytes]", "transfer");
  out += line;
  for (int p = 0; p < s.problem.node_count(); ++p) {
    const bool has_link = p + 1 < s.problem.node_count();
    std::snprintf(line, sizeof line, "%-4d %-16s %-10s %14s %14s %16s\n", p,
                  one_line(s.problem.nodes[p].name.substr(0, 16)).c_str(),
                  layer_range(s.boundaries, p).c_str(), fmt(s.breakdown.node_compute[p]).c_str(),
                  has_link ? fmt(s.problem.cut_bytes(s.boundaries[p])).c_str() : "",
                  has_link ? fmt(s.breakdown.link_transfer[p]).c_str() : "");
    out += line;
  }
  out += "cost " + fmt(s.cost) + " (" + s.cost_name + ")\n";
  out += "metrics:";
  for (std::size_t k = 0; k < s.metrics.size(); ++k)
    out += (k ? "; " : " ") + metric_line(s.metrics[k]);
  out += "\nboundaries " + boundaries_text(s.boundaries) + "\n";
  for (const auto& n : s.notes) out += n + "\n";
  if (s.exact) {
    std::snprintf(line, sizeof line,
                  "exact: largest SCI message %zu bytes (%zu labels), all messages %zu bytes\n",
                  s.exact->max_message_bytes, s.exact->max_labels, s.exact->total_message_bytes);
    out += line;
  }
  return out;
}

std::string format_ext_json(const split::Plan& s) { return ext_json(s).dump(2) + "\n"; }

std::string format_compare_table(const std::vector<CompareRow>& rows) {
  // Columns: every metric named by the first solved row.
  std::vector<std::string> names;
  for (const auto& r : rows)
    if (r.solution) {
      for (const auto& v : r.solution->metrics) names.push_back(v.name);
      break;
    }
  std::string out;
  char cell[128];
  std::snprintf(cell, sizeof cell, "%-16s", "method");
  out += cell;
  for (const auto& n : names) {
    std::snprintf(cell, sizeof cell, " %14s", n.substr(0, 14).c_str());
    out += cell;
  }
  out += "  boundaries\n";
  bool any_limit = false;
  for (const auto& r : rows) {
    std::snprintf(cell, sizeof cell, "%-16s", r.method.c_str());
    out += cell;
    if (!r.solution) {
      out += " " + r.error + "\n";
      continue;
    }
    for (const auto& n : names) {
      std::string text = "-";
      for (const auto& v : r.solution->metrics)
        if (v.name == n) {
          text = fmt(v.value) + (v.role == "limit" && !v.met ? "!" : "");
          if (v.role == "limit") any_limit = true;
        }
      std::snprintf(cell, sizeof cell, " %14s", text.c_str());
      out += cell;
    }
    out += "  " + boundaries_text(r.solution->boundaries) + "\n";
  }
  if (any_limit) out += "(! = above its limit)\n";
  return out;
}

std::string format_compare_json(const std::vector<CompareRow>& rows) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const auto& r : rows) {
    if (r.solution)
      doc.push_back(ext_json(*r.solution));
    else
      doc.push_back({{"method", r.method}, {"error", r.error}});
  }
  return doc.dump(2) + "\n";
}

}  // namespace hivemind::cli
