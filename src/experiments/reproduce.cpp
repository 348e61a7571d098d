// The paper's evaluation, regenerated (Sec. III Fig. 2, Sec. IV-F Fig. 6, Sec. VII Figs. 11-19,
// Table I). Every run is a deterministic function of its configuration; runs are spread over
// threads and written back in job order, so the same options give byte-identical files.
// This file: the registry of figures and the driver; each figure is in a file of its own group
// (figures.hpp), the infrastructure they share in context.hpp.
#include "hivemind/experiments/reproduce.hpp"

#include <algorithm>

#include "context.hpp"
#include "figures.hpp"
#include "hivemind/error.hpp"

namespace hivemind::experiments {

namespace {

struct Figure {
  const char* name;  // what --only accepts
  void (*draw)(detail::Context&);
  // Drawn again in the sensitivity pass: the figures whose workload is the paper's models
  // (Figs. 6, 11-14, 16, 18).
  bool sensitivity;
};

// Every figure, in the paper's order (the order they run and their claims appear in).
constexpr Figure kFigures[] = {{"fig2", detail::fig2, false},  {"table1", detail::table1, false},
                               {"fig6", detail::fig6, true},   {"fig11", detail::fig11, true},
                               {"fig12", detail::fig12, true}, {"fig13", detail::fig13, true},
                               {"fig14", detail::fig14, true}, {"fig15", detail::fig15, false},
                               {"fig16", detail::fig16, true}, {"fig17", detail::fig17, false},
                               {"fig18", detail::fig18, true}, {"fig19", detail::fig19, false}};

bool want(const ReproduceOptions& o, const std::string& fig) {
  return o.only.empty() || std::find(o.only.begin(), o.only.end(), fig) != o.only.end();
}

// Every figure asked for, in the paper's order; in the sensitivity pass only those whose
// workload is the paper's models.
void figures(detail::Context& ctx, bool sensitivity) {
  for (const Figure& f : kFigures)
    if (want(ctx.options(), f.name) && (f.sensitivity || !sensitivity)) f.draw(ctx);
}

}  // namespace

const std::vector<std::string>& reproduce_figures() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Figure& f : kFigures) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

std::string reproduce(const ReproduceOptions& options) {
  for (const auto& f : options.only)
    if (std::find(reproduce_figures().begin(), reproduce_figures().end(), f) ==
        reproduce_figures().end()) {
      std::string names;
      for (const auto& n : reproduce_figures()) names += (names.empty() ? "" : ", ") + n;
      throw InputError("--only: \"" + f + "\" is not one of " + names);
    }
  if (options.sci_processing_s &&
      !(*options.sci_processing_s >= 0.0 && *options.sci_processing_s <= sim::kMaxDelayMs * 1e-3))
    throw InputError("sci processing: " + exact_number(*options.sci_processing_s * 1e3) +
                     " ms is out of range [0, " + exact_number(sim::kMaxDelayMs) + "]");
  detail::Context ctx(options);
  figures(ctx, false);
  // The sensitivity pass: the figures whose workload is the paper's models, on the 224 px ones.
  ctx.begin_sensitivity();
  figures(ctx, true);
  ctx.end_sensitivity();
  std::string table = ctx.summary();
  ctx.commit();
  return table;
}

}  // namespace hivemind::experiments
