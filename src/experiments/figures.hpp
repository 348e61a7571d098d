// The figures of `hivemind reproduce` (internal to hivemind_experiments), each drawn from a
// Context (context.hpp): its runs, CSV, plot and claims. reproduce.cpp registers them by name.
#pragma once

namespace hivemind::experiments::detail {

class Context;

void fig2(Context& ctx);    // Sec. III: 4 split architectures on the 3-layer example (fig2_table1)
void table1(Context& ctx);  // Table I: per-link UE bandwidth (fig2_table1)
void fig6(Context& ctx);    // Sec. IV-F: link dynamics on the 5-hop chain (fig6)
void fig11(Context& ctx);   // Sec. VII-B: cost CDFs by load, mmWave IAB (cost_figures)
void fig12(Context& ctx);   // Sec. VII-B: cost CDFs by load, sub-6 GHz (cost_figures)
void fig13(Context& ctx);   // Sec. VII-B: impact of the ML model (fig13_14)
void fig14(Context& ctx);   // Sec. VII-B: impact of MEC computation capability (fig13_14)
void fig15(Context& ctx);   // Sec. VII-C1: topology change, handover +1 hop (fig15)
void fig16(Context& ctx);   // Sec. VII-C2: predictive splitting (fig16_17)
void fig17(Context& ctx);   // Sec. VII-C3: impact of the forecast's accuracy (fig16_17)
void fig18(Context& ctx);   // Sec. VII-D: multi-objective split (fig18_19)
void fig19(Context& ctx);   // Sec. VII-E: non-linear HiveMind, RNN and collaborative (fig18_19)

}  // namespace hivemind::experiments::detail
