// hivemind_split._core: the HiveMind libraries for Python (pybind11). The package's public API
// (hivemind_split/__init__.py) wraps these with file/dict loading and defaults; this module
// only converts. Bad input (hivemind::InputError) raises ValueError with the library's one line,
// the message the CLI prints. Every call that can take long (parsing files up to
// --max-input-mib, solve, problem building, sci_node, simulate) releases the GIL for its C++
// work and is under the library's work budgets (issue 23); the others are linear in their
// (bounded) arguments.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hivemind/budget.hpp"
#include "hivemind/error.hpp"
#include "hivemind/model/devices.hpp"
#include "hivemind/model/latency_model.hpp"
#include "hivemind/model/profile.hpp"
#include "hivemind/model/route.hpp"
#include "hivemind/model/zoo.hpp"
#include "hivemind/sim/engine.hpp"
#include "hivemind/sim/network.hpp"
#include "hivemind/sim/scenario.hpp"
#include "hivemind/split/chain_costs.hpp"
#include "hivemind/split/extensions.hpp"
#include "hivemind/split/problem_io.hpp"
#include "hivemind/split/sci.hpp"
#include "hivemind/split/sci_codec.hpp"
#include "hivemind/split/solve.hpp"

namespace py = pybind11;
using namespace hivemind;

namespace {

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

py::array_t<double> to_array(const std::vector<double>& v) {
  return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array_t<std::int64_t> to_int_array(const std::vector<int>& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  auto w = out.mutable_unchecked<1>();
  for (std::size_t i = 0; i < v.size(); ++i) w(static_cast<py::ssize_t>(i)) = v[i];
  return out;
}

// A one-dimensional float64 view of `a`; anything else is a ValueError naming `field`.
std::vector<double> to_vector(const Doubles& a, const char* field) {
  if (a.ndim() != 1)
    throw InputError(std::string(field) + ": expected a 1-D array, got " +
                     std::to_string(a.ndim()) + " dimensions");
  return std::vector<double>(a.data(), a.data() + a.size());
}

Budget budget_of(double max_steps, double max_memory_mib) {
  if (!(max_steps > 0)) throw InputError("max_steps: " + exact_number(max_steps) + " must be > 0");
  if (!(max_memory_mib > 0))
    throw InputError("max_memory_mib: " + exact_number(max_memory_mib) + " must be > 0");
  return Budget{max_steps, max_memory_mib * 1024.0 * 1024.0};
}

py::dict plan_dict(const split::Plan& plan);

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "HiveMind's libraries (C++) for hivemind_split; use the package's functions instead.";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, one_line(e.what()).c_str());
    }
  });

  // ---- problems (hivemind.problem/v1 with its extension sections) ----
  py::class_<split::ExtendedProblem>(m, "Problem",
                                     "A split problem: a model of L layers on a chain of P nodes "
                                     "(hivemind.problem/v1, docs/formats.md).")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source) {
            py::gil_scoped_release release;
            return split::parse_extended_problem(text, source);
          },
          py::arg("text"), py::arg("source") = "problem",
          "Parses a problem file's text (base part and extension sections).")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return split::load_extended_problem(path);
          },
          py::arg("path"), "Reads and parses a problem file.")
      .def_property_readonly(
          "layers", [](const split::ExtendedProblem& e) { return e.problem.layers; },
          "L, the number of layers.")
      .def_property_readonly(
          "node_names",
          [](const split::ExtendedProblem& e) {
            std::vector<std::string> names;
            for (const auto& n : e.problem.nodes) names.push_back(n.name);
            return names;
          },
          "The P node names, source (UE) first.")
      .def_property_readonly(
          "input_bytes", [](const split::ExtendedProblem& e) { return e.problem.input_bytes; },
          "s_0, bytes of the model input.")
      .def_property_readonly(
          "output_bytes",
          [](const split::ExtendedProblem& e) { return to_array(e.problem.output_bytes); },
          "s_1..s_L in bytes (float64 array of L values).")
      .def_property_readonly(
          "compute_s",
          [](const split::ExtendedProblem& e) {
            const auto& p = e.problem;
            py::array_t<double> out(
                {static_cast<py::ssize_t>(p.nodes.size()), static_cast<py::ssize_t>(p.layers)});
            auto w = out.mutable_unchecked<2>();
            for (std::size_t n = 0; n < p.nodes.size(); ++n)
              for (int l = 0; l < p.layers; ++l)
                w(static_cast<py::ssize_t>(n), l) =
                    p.nodes[n].compute_s[static_cast<std::size_t>(l)];
            return out;
          },
          "tau, compute cost per node and layer (P x L float64 array, seconds).")
      .def_property_readonly(
          "deliver",
          [](const split::ExtendedProblem& e) {
            return std::string(split::to_string(e.problem.deliver));
          },
          "Where the result goes: 'sink', 'none' or 'source'.")
      .def_property_readonly(
          "has_extensions", [](const split::ExtendedProblem& e) { return e.any(); },
          "True when the problem has extension sections (docs/extensions.md).")
      .def(
          "base_json", [](const split::ExtendedProblem& e) { return split::to_json(e.problem); },
          "The base problem (no extension sections) as hivemind.problem/v1 JSON text.")
      .def(
          "architecture_hash",
          [](const split::ExtendedProblem& e) { return split::architecture_hash(e.problem); },
          "The hash SCI messages carry for this problem (L and its cut bytes).")
      .def(
          "applicable_methods",
          [](const split::ExtendedProblem& e) {
            std::vector<std::string> names;
            for (const auto& c : split::applicable_methods(e)) names.push_back(c.name());
            return names;
          },
          "The methods that apply to this problem, as `hivemind solve --compare` lists them.");

  // ---- plans ----
  py::class_<split::Plan>(m, "Plan", "A plan and what it costs (the answer of solve).")
      .def_property_readonly(
          "method", [](const split::Plan& p) { return p.method.name(); }, "The method's name.")
      .def_property_readonly(
          "boundaries", [](const split::Plan& p) { return p.boundaries; },
          "b_0..b_{P-1}: node p runs layers b_{p-1}+1 .. b_p (b_{-1} = 0).")
      .def_property_readonly(
          "cost", [](const split::Plan& p) { return p.cost; },
          "The method's objective value for the plan (unit: cost_name).")
      .def_property_readonly(
          "cost_name", [](const split::Plan& p) { return p.cost_name; }, "What cost measures.")
      .def_property_readonly(
          "node_names",
          [](const split::Plan& p) {
            std::vector<std::string> names;
            for (const auto& n : p.problem.nodes) names.push_back(n.name);
            return names;
          },
          "The P node names.")
      .def_property_readonly(
          "node_compute", [](const split::Plan& p) { return to_array(p.breakdown.node_compute); },
          "Per node, the compute cost of its layers (float64 array, P values).")
      .def_property_readonly(
          "link_transfer", [](const split::Plan& p) { return to_array(p.breakdown.link_transfer); },
          "Per link, the transfer cost of the cut it carries (float64 array, P-1 values).")
      .def_property_readonly(
          "finishing_node", [](const split::Plan& p) { return p.breakdown.finishing_node; },
          "The node that runs layer L.")
      .def_property_readonly(
          "total", [](const split::Plan& p) { return p.breakdown.total; },
          "The plan's total on the primary cost tables.")
      .def_property_readonly(
          "notes", [](const split::Plan& p) { return p.notes; }, "The method's notes.")
      .def("to_dict", &plan_dict, "The plan as plain Python values.");

  m.def(
      "solve",
      [](const split::ExtendedProblem& problem, const std::string& method, double max_steps,
         double max_memory_mib) {
        const split::MethodChoice choice = split::parse_method(method);
        const Budget budget = budget_of(max_steps, max_memory_mib);
        py::gil_scoped_release release;
        return split::solve(problem, choice, budget);
      },
      py::arg("problem"), py::arg("method") = "sci", py::arg("max_steps") = Budget{}.steps,
      py::arg("max_memory_mib") = Budget{}.bytes / (1024.0 * 1024.0),
      "Solves a problem with a method (solve(ExtendedProblem, MethodChoice)).");

  m.def(
      "method_names",
      [] {
        std::vector<std::string> names;
        for (const auto& info : split::method_registry()) names.emplace_back(info.name);
        return names;
      },
      "Every method name (opt- takes a metric: opt-energy).");

  // ---- model profiles, routes, devices ----
  py::class_<model::ModelProfile>(m, "Profile",
                                  "A model profile (hivemind.profile/v1, docs/models.md).")
      .def_static(
          "load",
          [](const std::string& name_or_path, const std::string& data_dir) {
            model::ModelProfile p;
            std::string note;
            {
              py::gil_scoped_release release;
              std::vector<model::Derivation> derived;
              p = model::load_model(name_or_path, data_dir, &derived);
              note = model::describe(derived, name_or_path);
            }
            return py::make_tuple(std::move(p), note);
          },
          py::arg("name_or_path"), py::arg("data_dir"),
          "A zoo model or a profile file, with the classes it lacks derived: (profile, note).")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source, const std::string& data_dir) {
            model::ModelProfile p;
            std::string note;
            {
              py::gil_scoped_release release;
              p = model::parse_model_profile(text, source);
              note = model::describe(model::derive_missing_runs(p, data_dir), p.model);
            }
            return py::make_tuple(std::move(p), note);
          },
          py::arg("text"), py::arg("source"), py::arg("data_dir"),
          "Parses a profile's text and derives the classes it lacks: (profile, note).")
      .def_property_readonly(
          "model", [](const model::ModelProfile& p) { return p.model; }, "The model's name.")
      .def_property_readonly(
          "layers", [](const model::ModelProfile& p) { return static_cast<int>(p.layers.size()); },
          "L, the number of layers.")
      .def_property_readonly(
          "layer_names",
          [](const model::ModelProfile& p) {
            std::vector<std::string> names;
            for (const auto& l : p.layers) names.push_back(l.name);
            return names;
          },
          "The layer names in execution order.")
      .def_property_readonly(
          "input_bytes", [](const model::ModelProfile& p) { return p.input_bytes; },
          "s_0, bytes of the model input.")
      .def_property_readonly(
          "cut_bytes",
          [](const model::ModelProfile& p) {
            std::vector<double> v;
            for (const auto& l : p.layers) v.push_back(l.cut_bytes);
            return to_array(v);
          },
          "Bytes crossing a split after each layer (every live tensor; float64 array, L).")
      .def_property_readonly(
          "device_classes",
          [](const model::ModelProfile& p) {
            std::vector<std::string> names;
            for (const auto& d : p.devices) names.push_back(d.device_class);
            return names;
          },
          "The device classes the profile has costs for (measured or derived).")
      .def(
          "forward_s",
          [](const model::ModelProfile& p, const std::string& device_class) {
            const model::DeviceProfile* d = p.device(device_class);
            if (!d)
              throw InputError("device_class: \"" + device_class + "\" is not in the profile");
            std::vector<double> v;
            for (const auto& l : d->layers) v.push_back(l.forward_s);
            return to_array(v);
          },
          py::arg("device_class"), "Per-layer forward latency on a class (seconds, L values).")
      .def(
          "to_json", [](const model::ModelProfile& p) { return model::to_json(p); },
          "The profile as hivemind.profile/v1 JSON text.");

  py::class_<model::Route>(m, "Route",
                           "A route: the chain of nodes with their device classes and the links "
                           "(hivemind.route/v1).")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source) {
            py::gil_scoped_release release;
            return model::parse_route(text, source);
          },
          py::arg("text"), py::arg("source") = "route", "Parses a route's text.")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return model::load_route(path);
          },
          py::arg("path"), "Reads and parses a route file.")
      .def_property_readonly(
          "node_names",
          [](const model::Route& r) {
            std::vector<std::string> names;
            for (const auto& n : r.nodes) names.push_back(n.name);
            return names;
          },
          "The node names, source (UE) first.")
      .def_property_readonly(
          "device_classes",
          [](const model::Route& r) {
            std::vector<std::string> names;
            for (const auto& n : r.nodes) names.push_back(n.device_class);
            return names;
          },
          "Each node's device class.")
      .def_property_readonly(
          "bandwidth_mbps",
          [](const model::Route& r) {
            std::vector<double> v;
            for (const auto& l : r.links) v.push_back(l.bandwidth_mbps);
            return to_array(v);
          },
          "Each link's up bandwidth (Mbit/s).");

  py::class_<model::DeviceCatalog>(m, "DeviceCatalog", "Device classes (hivemind.devices/v1).")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return model::load_device_catalog(path);
          },
          py::arg("path"), "Reads a device catalog.")
      .def_property_readonly(
          "classes",
          [](const model::DeviceCatalog& c) {
            std::vector<std::string> names;
            for (const auto& d : c.classes) names.push_back(d.device_class);
            return names;
          },
          "The class names.");

  m.def(
      "problem_from_route",
      [](const model::ModelProfile& profile, const model::Route& route,
         const model::DeviceCatalog& catalog, bool chain_sizes, double max_steps,
         double max_memory_mib) {
        const Budget budget = budget_of(max_steps, max_memory_mib);
        py::gil_scoped_release release;
        split::ExtendedProblem ext;
        ext.problem = model::problem_from_route(
            profile, route, catalog, chain_sizes ? model::CutSizes::kChain : model::CutSizes::kDag,
            budget);
        return ext;
      },
      py::arg("profile"), py::arg("route"), py::arg("catalog"), py::arg("chain_sizes") = false,
      py::arg("max_steps") = Budget{}.steps,
      py::arg("max_memory_mib") = Budget{}.bytes / (1024.0 * 1024.0),
      "The explicit problem of a model on a route (problem_from_route).");

  // ---- per-node SCI and its wire codec ----
  m.def(
      "sci_node",
      [](const Doubles& compute, std::optional<Doubles> incoming, double finish,
         std::optional<Doubles> downstream_zeta, bool algorithm1, double max_steps,
         double max_memory_mib) {
        const Budget budget = budget_of(max_steps, max_memory_mib);
        const std::vector<double> c = to_vector(compute, "compute");
        const std::vector<double> in =
            incoming ? to_vector(*incoming, "incoming") : std::vector<double>{};
        const std::vector<double> z = downstream_zeta
                                          ? to_vector(*downstream_zeta, "downstream_zeta")
                                          : std::vector<double>{};
        // One node of solve's chain, under solve's estimate (P = 1): algorithm1 is O(L^2) and
        // cannot be interrupted, so a large L is refused before it starts (issue 23).
        if (c.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() - 2))
          throw InputError("compute: " + std::to_string(c.size()) + " layers, more than " +
                           std::to_string(std::numeric_limits<int>::max() - 2));
        const int L = static_cast<int>(c.size());
        const split::Method method = algorithm1 ? split::Method::kAlgorithm1 : split::Method::kSci;
        split::check_work(budget, split::estimate_work(L, /*nodes=*/1, method),
                          std::string("sci_node(algorithm1=") + (algorithm1 ? "True" : "False") +
                              ") on L = " + std::to_string(L) + " layers");
        split::SciNodeInput input{c, in, finish, z};
        split::SciNodeOutput out;
        {
          py::gil_scoped_release release;
          if (algorithm1)
            split::algorithm1_node(input, out);
          else
            split::sci_node(input, out);
        }
        return py::make_tuple(to_array(out.zeta), to_int_array(out.stop));
      },
      py::arg("compute"), py::arg("incoming") = py::none(), py::arg("finish") = 0.0,
      py::arg("downstream_zeta") = py::none(), py::arg("algorithm1") = false,
      py::arg("max_steps") = Budget{}.steps,
      py::arg("max_memory_mib") = Budget{}.bytes / (1024.0 * 1024.0),
      "One node's SCI (Algorithm 1): (zeta, stop). Refused (ValueError) when its work estimate "
      "is above the budget, as solve refuses.");
  m.def(
      "sci_decide",
      [](const std::vector<int>& stop, int upstream_stop) {
        split::SciNodeOutput node;
        node.stop = stop;
        return split::sci_decide(node, upstream_stop);
      },
      py::arg("stop"), py::arg("upstream_stop"), "The downstream decision of Sec. IV-C3.");
  m.def(
      "architecture_hash",
      [](int layers, const Doubles& cut_bytes, std::optional<Doubles> param_bytes,
         std::vector<std::string> names) {
        const std::vector<double> cuts = to_vector(cut_bytes, "cut_bytes");
        const std::vector<double> params =
            param_bytes ? to_vector(*param_bytes, "param_bytes") : std::vector<double>{};
        return split::architecture_hash(layers, cuts, params, names);
      },
      py::arg("layers"), py::arg("cut_bytes"), py::arg("param_bytes") = py::none(),
      py::arg("names") = std::vector<std::string>{}, "The model's architecture hash.");
  m.def(
      "encode_sci",
      [](const Doubles& zeta, std::uint64_t architecture, std::uint64_t epoch,
         std::uint32_t sender) {
        const std::vector<double> z = to_vector(zeta, "zeta");
        const auto bytes = split::encode_sci({architecture, epoch, sender}, z);
        return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      },
      py::arg("zeta"), py::arg("architecture"), py::arg("epoch") = 0, py::arg("sender") = 0,
      "Encodes an SCI message (32-byte header, L+2 float32).");
  m.def(
      "decode_sci",
      [](py::bytes data, int layers, std::uint64_t architecture,
         std::optional<std::uint32_t> sender) {
        const std::string_view view = data;
        const std::span<const std::uint8_t> bytes(
            reinterpret_cast<const std::uint8_t*>(view.data()), view.size());
        const split::SciMessage msg = split::decode_sci(bytes, {layers, architecture, sender});
        py::dict d;
        d["architecture"] = msg.header.architecture;
        d["epoch"] = msg.header.epoch;
        d["sender"] = msg.header.sender;
        d["zeta"] = to_array(msg.zeta);
        return d;
      },
      py::arg("data"), py::arg("layers"), py::arg("architecture"), py::arg("sender") = py::none(),
      "Decodes and checks an SCI message.");
  m.def(
      "sci_message_bytes",
      [](int layers) {
        if (layers < 1 || layers > std::numeric_limits<int>::max() - 2)
          throw InputError("layers: " + std::to_string(layers) + " must be in [1, " +
                           std::to_string(std::numeric_limits<int>::max() - 2) + "]");
        return split::sci_message_bytes(layers);
      },
      py::arg("layers"), "Bytes of an SCI message for L >= 1 layers.");

  // ---- the simulator ----
  py::class_<sim::Scenario>(m, "Scenario", "A simulator scenario (docs/simulator.md).")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source) {
            py::gil_scoped_release release;
            return sim::parse_scenario(text, source);
          },
          py::arg("text"), py::arg("source") = "scenario", "Parses a scenario's text.")
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return sim::load_scenario(path);
          },
          py::arg("path"), "Reads and parses a scenario file.")
      .def_property_readonly(
          "name", [](const sim::Scenario& s) { return s.name; }, "The scenario's name.")
      .def_property_readonly(
          "node_names",
          [](const sim::Scenario& s) {
            std::vector<std::string> names;
            for (const auto& n : s.nodes) names.push_back(n.name);
            return names;
          },
          "The scenario's nodes.");

  m.def(
      "simulate",
      [](const sim::Scenario& scenario, const std::string& model, const std::string& data_dir,
         const std::string& load, std::uint64_t seed, double duration_s, double period_s,
         bool poisson, const std::string& task, std::optional<std::vector<std::string>> methods,
         bool keep_plans, double max_steps, double max_memory_mib) {
        sim::RunConfig config;
        config.budget = budget_of(max_steps, max_memory_mib);
        config.load = sim::parse_load(load);
        config.seed = seed;
        config.duration_s = duration_s;
        config.period_s = period_s;
        config.poisson = poisson;
        if (task != "inference" && task != "training")
          throw InputError("task: \"" + task + "\" is not inference or training");
        config.task = task == "training" ? sim::TaskKind::kTraining : sim::TaskKind::kInference;
        if (methods) {
          config.methods.clear();
          for (const auto& name : *methods)
            config.methods.push_back(sim::MethodSpec{name, split::parse_method(name)});
        }
        config.keep_plans = keep_plans;
        sim::RunResult result;
        sim::ModelCosts costs;
        {
          py::gil_scoped_release release;
          costs = sim::load_model_costs(scenario, data_dir, model, config.budget);
          result = sim::run_simulation(scenario, costs, config);
        }
        const std::size_t n = result.records.size();
        std::vector<double> arrival(n), start(n), latency(n), energy(n), planned(n);
        py::array_t<std::int64_t> task_a(static_cast<py::ssize_t>(n)),
            method_a(static_cast<py::ssize_t>(n)), gnb_a(static_cast<py::ssize_t>(n));
        py::array_t<bool> exact_a(static_cast<py::ssize_t>(n)),
            blocked_a(static_cast<py::ssize_t>(n));
        auto tw = task_a.mutable_unchecked<1>();
        auto mw = method_a.mutable_unchecked<1>();
        auto gw = gnb_a.mutable_unchecked<1>();
        auto ew = exact_a.mutable_unchecked<1>();
        auto bw = blocked_a.mutable_unchecked<1>();
        for (std::size_t i = 0; i < n; ++i) {
          const auto& r = result.records[i];
          const auto k = static_cast<py::ssize_t>(i);
          tw(k) = r.task;
          mw(k) = r.method;
          gw(k) = r.serving_gnb;
          ew(k) = r.exact;
          bw(k) = r.blocked;
          arrival[i] = r.arrival_s;
          start[i] = r.start_s;
          latency[i] = r.latency_s;
          energy[i] = r.energy_j;
          planned[i] = r.planned;
        }
        py::dict records;
        records["task"] = task_a;
        records["method"] = method_a;
        records["arrival_s"] = to_array(arrival);
        records["start_s"] = to_array(start);
        records["latency_s"] = to_array(latency);
        records["energy_j"] = to_array(energy);
        records["planned"] = to_array(planned);
        records["exact"] = exact_a;
        records["blocked"] = blocked_a;
        records["serving_gnb"] = gnb_a;
        if (keep_plans) {
          py::list plans;
          for (const auto& r : result.records) plans.append(py::cast(r.boundaries));
          records["boundaries"] = plans;
        }
        std::vector<std::string> labels;
        for (const auto& spec : config.methods) labels.push_back(spec.label);
        py::dict out;
        out["records"] = records;
        out["methods"] = labels;
        out["model"] = costs.model;
        out["layers"] = costs.layers;
        out["simulated_s"] = result.simulated_s;
        out["handovers"] = result.handovers;
        out["mean_sci_update_s"] = result.mean_sci_update_s;
        out["derivation"] = costs.derivation;
        return out;
      },
      py::arg("scenario"), py::arg("model"), py::arg("data_dir"), py::arg("load") = "mid",
      py::arg("seed") = 1, py::arg("duration_s") = 10.0, py::arg("period_s") = 0.1,
      py::arg("poisson") = false, py::arg("task") = "inference", py::arg("methods") = py::none(),
      py::arg("keep_plans") = false, py::arg("max_steps") = Budget{}.steps,
      py::arg("max_memory_mib") = Budget{}.bytes / (1024.0 * 1024.0),
      "One simulator trial (run_simulation): per-task records as NumPy arrays.");
}

namespace {

py::dict plan_dict(const split::Plan& plan) {
  // The keys of `hivemind solve --format json` (apps/hivemind/report.cpp), plus cost_name,
  // total, finish, metrics and notes.
  py::dict d;
  d["method"] = plan.method.name();
  d["deliver"] = std::string(split::to_string(plan.problem.deliver));
  d["cost"] = plan.cost;
  d["cost_name"] = plan.cost_name;
  d["boundaries"] = plan.boundaries;
  d["total"] = plan.breakdown.total;
  d["finishing_node"] = plan.breakdown.finishing_node;
  d["finish"] = plan.breakdown.finish;
  // One row per node: the layers it runs (first_layer..last_layer, layer_count 0 when it only
  // relays), its compute, and the cut it sends on its link with that transfer's cost.
  py::list nodes;
  const std::size_t count = plan.boundaries.size();
  for (std::size_t p = 0; p < count; ++p) {
    py::dict row;
    row["name"] = plan.problem.nodes[p].name;
    const int first = (p == 0 ? 0 : plan.boundaries[p - 1]) + 1;
    const int last = plan.boundaries[p];
    row["first_layer"] = first;
    row["last_layer"] = last;
    row["layer_count"] = last - first + 1;
    row["compute"] = p < plan.breakdown.node_compute.size() ? plan.breakdown.node_compute[p] : 0.0;
    if (p + 1 < count && p < plan.breakdown.link_transfer.size()) {
      row["cut_bytes"] = plan.problem.cut_bytes(last);
      row["transfer"] = plan.breakdown.link_transfer[p];
    }
    nodes.append(row);
  }
  d["nodes"] = nodes;
  py::list metrics;
  for (const auto& mv : plan.metrics) {
    py::dict row;
    row["name"] = mv.name;
    row["value"] = mv.value;
    row["role"] = mv.role;
    row["parameter"] = mv.parameter;
    row["met"] = mv.met;
    metrics.append(row);
  }
  d["metrics"] = metrics;
  d["notes"] = plan.notes;
  return d;
}

}  // namespace
