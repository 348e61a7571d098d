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
};

// Every figure, in the paper's order (the order they run and their claims appear in).
constexpr Figure kFigures[] = {
    {"fig2", detail::fig2},   {"table1", detail::table1}, {"fig6", detail::fig6},
    {"fig11", detail::fig11}, {"fig12", detail::fig12},   {"fig13", detail::fig13},
    {"fig14", detail::fig14}, {"fig15", detail::fig15},   {"fig16", detail::fig16},
    {"fig17", detail::fig17}, {"fig18", detail::fig18},   {"fig19", detail::fig19}};

// The passes, in the order they run and summary.md shows them (issue 25): the measured 88 px
// pass (the main table, every figure); the paper-stated pass, the same workload with the
// inputs the paper states (data/scenarios/paper-stated.json), drawing the figures whose
// workload is the 88 px models (Figs. 6, 11-18; not Fig. 19, whose RNN and QMIX models are
// not that workload, and which would add ~1.4 s of CPU to --quick); the sensitivity pass (issue
// 14), the paper's models at 224 px (Figs. 6, 11-14, 16, 18).
std::vector<detail::Pass> passes(const ReproduceOptions& o) {
  const std::string r88 = "resnet18_88", v88 = "vgg11_88", c88 = "rcnn_vgg16_88";
  return {
      {"measured", "", "", "", r88, v88, c88, {}, std::nullopt},
      {"paper-stated",
       "paper-stated",
       "_paper",
       " - paper-stated inputs",
       r88,
       v88,
       c88,
       {"fig6", "fig11", "fig12", "fig13", "fig14", "fig15", "fig16", "fig17", "fig18"},
       load_paper_stated(o.data_dir + "/scenarios/paper-stated.json")},
      {"224px",
       "224 px",
       "_224px",
       " - 224 px workload",
       "resnet18_224",
       "vgg11_224",
       "rcnn_vgg16_224",
       {"fig6", "fig11", "fig12", "fig13", "fig14", "fig16", "fig18"},
       std::nullopt},
  };
}

bool listed(const std::vector<std::string>& names, const std::string& fig) {
  return std::find(names.begin(), names.end(), fig) != names.end();
}

// Every figure asked for (--only) that the pass draws, in the paper's order.
void figures(detail::Context& ctx) {
  for (const Figure& f : kFigures)
    if ((ctx.options().only.empty() || listed(ctx.options().only, f.name)) &&
        (ctx.pass().figures.empty() || listed(ctx.pass().figures, f.name)))
      f.draw(ctx);
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
  for (const detail::Pass& pass : passes(options)) {
    ctx.begin_pass(pass);
    figures(ctx);
  }
  std::string table = ctx.summary();
  ctx.commit();
  return table;
}

}  // namespace hivemind::experiments
