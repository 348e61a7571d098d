// The optional extension sections of a problem file (docs/extensions.md).
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "hivemind/error.hpp"
#include "hivemind/io.hpp"
#include "hivemind/split/extensions.hpp"
#include "json_readers.hpp"

namespace hivemind::split {

namespace jf = json_field;
using nlohmann::json;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr long long kMaxSteps = 1'000'000;

std::vector<double> numbers(const json& value, const std::string& path, std::size_t size) {
  const json& a = jf::array(value, path, size);
  std::vector<double> out;
  out.reserve(a.size());
  for (std::size_t k = 0; k < a.size(); ++k)
    out.push_back(jf::number(a[k], path + "[" + std::to_string(k) + "]"));
  return out;
}

std::vector<std::vector<double>> per_node_rows(const json& value, const std::string& path,
                                               std::size_t P, std::size_t L) {
  const json& rows = jf::array(value, path, P);
  std::vector<std::vector<double>> out;
  for (std::size_t p = 0; p < P; ++p)
    out.push_back(numbers(rows[p], path + "[" + std::to_string(p) + "]", L));
  return out;
}

// A node given by name or index.
int node_ref(const json& value, const Problem& problem, const std::string& path) {
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    for (int p = 0; p < problem.node_count(); ++p)
      if (problem.nodes[p].name == name) return p;
    throw InputError(path + ": unknown node \"" + name + "\"");
  }
  return static_cast<int>(jf::integer(value, path, 0, problem.node_count() - 1));
}

std::vector<Objective::Term> terms(const json& value, const std::string& path, bool threshold) {
  jf::object(value, path);
  std::vector<Objective::Term> out;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string field = path + "." + it.key();
    out.push_back({it.key(), threshold ? jf::number(*it, field) : jf::number(*it, field)});
  }
  return out;
}

}  // namespace

bool ExtendedProblem::any() const {
  return training || omega || rnn || multi || constraints.has_memory() || constraints.has_pins() ||
         !constraints.parameter_bytes.empty();
}

namespace detail {

ExtendedProblem extensions_from_json(const Problem& base, const json& doc,
                                     std::string_view source) {
  const std::string src(source);
  try {
    jf::object(doc, "(top level)");
    ExtendedProblem ext;
    ext.problem = base;
    const std::size_t L = static_cast<std::size_t>(base.layers);
    const std::size_t P = static_cast<std::size_t>(base.node_count());

    if (auto it = doc.find("parameter_bytes"); it != doc.end())
      ext.constraints.parameter_bytes = numbers(*it, "parameter_bytes", L);

    if (auto it = doc.find("training"); it != doc.end()) {
      const json& t = jf::object(*it, "training");
      jf::only_keys(
          t, "training",
          {"backward_compute", "gradient_bytes", "current_boundaries", "migration_weight"});
      TrainingSpec spec;
      spec.backward_compute_s =
          per_node_rows(jf::require(t, "backward_compute", "training.backward_compute"),
                        "training.backward_compute", P, L);
      if (auto g = t.find("gradient_bytes"); g != t.end())
        spec.gradient_bytes = numbers(*g, "training.gradient_bytes", L - 1);
      if (auto c = t.find("current_boundaries"); c != t.end()) {
        const json& a = jf::array(*c, "training.current_boundaries", P);
        for (std::size_t p = 0; p < P; ++p)
          spec.current_plan.push_back(static_cast<int>(jf::integer(
              a[p], "training.current_boundaries[" + std::to_string(p) + "]", 0, base.layers)));
        if (ext.constraints.parameter_bytes.empty())
          throw InputError(
              "training.current_boundaries: migration needs the top-level parameter_bytes");
      }
      if (auto w = t.find("migration_weight"); w != t.end())
        spec.migration_weight = jf::number(*w, "training.migration_weight");
      spec.parameter_bytes = ext.constraints.parameter_bytes;
      validate(spec, base);
      ext.training = std::move(spec);
    }

    if (auto it = doc.find("collaborative"); it != doc.end()) {
      const json& c = jf::object(*it, "collaborative");
      jf::only_keys(c, "collaborative", {"push_bytes", "omega"});
      const bool has_bytes = c.contains("push_bytes"), has_omega = c.contains("omega");
      if (has_bytes == has_omega)
        throw InputError(
            "collaborative: give exactly one of push_bytes (parameters pushed to the sink) "
            "or omega (per-node cost)");
      if (has_bytes)
        ext.omega =
            parameter_push_costs(base, jf::number(c["push_bytes"], "collaborative.push_bytes"));
      else
        ext.omega = numbers(c["omega"], "collaborative.omega", P);
    }

    if (auto it = doc.find("rnn"); it != doc.end()) {
      const json& r = jf::object(*it, "rnn");
      jf::only_keys(r, "rnn", {"steps", "hidden_bytes", "step_output_bytes"});
      RnnSpec spec;
      spec.steps = static_cast<int>(
          jf::integer(jf::require(r, "steps", "rnn.steps"), "rnn.steps", 1, kMaxSteps));
      spec.hidden_bytes =
          jf::number(jf::require(r, "hidden_bytes", "rnn.hidden_bytes"), "rnn.hidden_bytes");
      if (auto y = r.find("step_output_bytes"); y != r.end())
        spec.step_output_bytes = jf::number(*y, "rnn.step_output_bytes");
      validate(spec);
      ext.rnn = spec;
    }

    const bool has_metrics = doc.contains("metrics"), has_objective = doc.contains("objective");
    if (has_metrics != has_objective)
      throw InputError(std::string(has_metrics ? "objective" : "metrics") +
                       ": missing field (metrics and objective go together)");
    if (has_metrics) {
      MultiObjective multi;
      const json& ms = jf::array(doc["metrics"], "metrics");
      for (std::size_t k = 0; k < ms.size(); ++k) {
        const std::string path = "metrics[" + std::to_string(k) + "]";
        const json& m = jf::object(ms[k], path);
        jf::only_keys(m, path, {"name", "from_problem", "compute", "links"});
        Metric metric;
        metric.name = jf::string(jf::require(m, "name", path + ".name"), path + ".name");
        if (auto f = m.find("from_problem"); f != m.end()) {
          if (!f->is_boolean())
            throw InputError(path + ".from_problem: expected true or false, got " + jf::show(*f));
          metric.from_problem = f->get<bool>();
        }
        if (metric.from_problem) {
          if (m.contains("compute") || m.contains("links"))
            throw InputError(path + ": from_problem metrics take no compute or links");
        } else {
          metric.compute =
              per_node_rows(jf::require(m, "compute", path + ".compute"), path + ".compute", P, L);
          const json& links =
              jf::array(jf::require(m, "links", path + ".links"), path + ".links", P - 1);
          for (std::size_t q = 0; q + 1 < P; ++q) {
            const std::string lp = path + ".links[" + std::to_string(q) + "]";
            jf::object(links[q], lp);
            jf::only_keys(links[q], lp, {"per_byte", "fixed", "down_per_byte", "down_fixed"});
            MetricLink link;
            link.per_byte =
                jf::number(jf::require(links[q], "per_byte", lp + ".per_byte"), lp + ".per_byte");
            if (auto f = links[q].find("fixed"); f != links[q].end())
              link.fixed = jf::number(*f, lp + ".fixed");
            if (auto f = links[q].find("down_per_byte"); f != links[q].end())
              link.down_per_byte = jf::number(*f, lp + ".down_per_byte");
            if (auto f = links[q].find("down_fixed"); f != links[q].end())
              link.down_fixed = jf::number(*f, lp + ".down_fixed");
            metric.links.push_back(link);
          }
        }
        multi.metrics.push_back(std::move(metric));
      }
      const json& o = jf::object(doc["objective"], "objective");
      jf::only_keys(o, "objective", {"minimize", "limits", "linear_weights"});
      multi.objective.minimize =
          terms(jf::require(o, "minimize", "objective.minimize"), "objective.minimize", false);
      if (auto l = o.find("limits"); l != o.end())
        multi.objective.limits = terms(*l, "objective.limits", true);
      if (auto w = o.find("linear_weights"); w != o.end())
        multi.objective.linear_weights = terms(*w, "objective.linear_weights", false);
      validate(multi, base);
      ext.multi = std::move(multi);
    }

    if (auto it = doc.find("constraints"); it != doc.end()) {
      const json& c = jf::object(*it, "constraints");
      jf::only_keys(c, "constraints", {"memory_bytes", "activation_bytes", "pinned"});
      if (auto m = c.find("memory_bytes"); m != c.end()) {
        const json& a = jf::array(*m, "constraints.memory_bytes", P);
        for (std::size_t p = 0; p < P; ++p)
          ext.constraints.memory_budget_bytes.push_back(
              a[p].is_null()
                  ? kInf
                  : jf::number(a[p], "constraints.memory_bytes[" + std::to_string(p) + "]"));
      }
      if (auto a = c.find("activation_bytes"); a != c.end())
        ext.constraints.activation_bytes = numbers(*a, "constraints.activation_bytes", L);
      else if (ext.constraints.has_memory())
        ext.constraints.activation_bytes = base.output_bytes;  // default: the layer's output
      if (auto pin = c.find("pinned"); pin != c.end()) {
        jf::object(*pin, "constraints.pinned");
        ext.constraints.pinned_node.assign(L, -1);
        for (auto e = pin->begin(); e != pin->end(); ++e) {
          const std::string path = "constraints.pinned." + e.key();
          std::size_t used = 0;
          long layer = -1;
          try {
            layer = std::stol(e.key(), &used);
          } catch (const std::exception&) {
          }
          if (used != e.key().size() || layer < 1 || layer > static_cast<long>(L))
            throw InputError(path + ": \"" + e.key() + "\" is not a layer number in 1.." +
                             std::to_string(L));
          ext.constraints.pinned_node[layer - 1] = node_ref(*e, base, path);
        }
      }
      validate(ext.constraints, base.layers, base.node_count());
    }

    // Combinations we do not define (each would need its own cost model).
    auto refuse = [](const char* a, const char* b) {
      throw InputError(std::string(a) + ": cannot be combined with the " + b +
                       " section (not supported; see docs/extensions.md)");
    };
    if (ext.rnn) {
      if (ext.training) refuse("rnn", "training");
      if (ext.omega) refuse("rnn", "collaborative");
      if (ext.multi) refuse("rnn", "metrics");
      if (doc.contains("constraints")) refuse("rnn", "constraints");
    }
    if (ext.multi) {
      if (ext.training) refuse("metrics", "training");
      if (ext.omega) refuse("metrics", "collaborative");
    }
    return ext;
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind(src + ":", 0) == 0) throw;
    throw InputError(src + ": " + what);
  } catch (const json::exception& e) {
    throw InputError(src + ": malformed problem: " + e.what());
  }
}

}  // namespace detail

ExtendedProblem parse_extensions(const Problem& base, std::string_view json_text,
                                 std::string_view source) {
  return detail::extensions_from_json(base, parse_json(json_text, source), source);
}

ExtendedProblem parse_extended_problem(std::string_view json_text, std::string_view source) {
  const json doc = parse_json(json_text, source);
  const Problem base = with_source(source, [&] { return detail::problem_from_json(doc); });
  return detail::extensions_from_json(base, doc, source);
}

ExtendedProblem load_extended_problem(const std::string& path) {
  return parse_extended_problem(read_text_file(path), path);
}

}  // namespace hivemind::split
