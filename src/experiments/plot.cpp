// Plots of `hivemind reproduce`: gnuplot data blocks and a script per figure (PNG and SVG), run
// without a shell in the staging folder, and the CDF series most figures draw.

#include <algorithm>

#include "context.hpp"
#include "hivemind/process.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

void Context::plot(const std::string& stem, const std::string& title_in,
                   const std::vector<Panel>& panels, int cols) {
  const std::string name = stem + suffix_;  // the files' name (write_file adds the suffix)
  const std::string title = title_in + pass().title;
  std::string dat, gp;
  int index = 0;
  std::vector<std::vector<int>> idx(panels.size());
  for (std::size_t p = 0; p < panels.size(); ++p)
    for (const auto& s : panels[p].series) {
      dat += "# " + panels[p].title + " / " + s.label + "\n";
      for (const auto& [x, y] : s.points) dat += num(x) + " " + num(y) + "\n";
      if (s.points.empty()) dat += "nan nan\n";
      dat += "\n\n";
      idx[p].push_back(index++);
    }
  write_file(stem + ".dat", dat);
  const int rows = static_cast<int>((panels.size() + cols - 1) / cols);
  const int w = 660 * cols, h = 400 * rows;
  // A gnuplot single-quoted string: ' doubled (text is plain: the terminals are noenhanced).
  auto q = [](const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  for (const char* term : {"png", "svg"}) {
    const std::string ext = term;
    gp += ext == "png" ? "set terminal pngcairo size " + std::to_string(w) + "," +
                             std::to_string(h) + " font 'Sans,10' noenhanced\n"
                       : "set terminal svg size " + std::to_string(w) + "," + std::to_string(h) +
                             " font 'Sans,10' noenhanced background '#ffffff'\n";
    gp += "set output '" + name + "." + ext + "'\n";
    // Legends right of each panel, outside the data.
    gp += "set datafile missing 'nan'\nset grid\nset key outside right top vertical font ',8'\n";
    gp += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + " title " +
          q(title) + "\n";
    for (std::size_t p = 0; p < panels.size(); ++p) {
      const Panel& pn = panels[p];
      gp += "set title " + q(pn.title) + "\nset xlabel " + q(pn.xlabel) + "\nset ylabel " +
            q(pn.ylabel) + "\n";
      gp += pn.logx ? "set logscale x\n" : "unset logscale x\n";
      gp += pn.logy ? "set logscale y\n" : "unset logscale y\n";
      gp += pn.extra;
      gp += "plot ";
      for (std::size_t s = 0; s < pn.series.size(); ++s) {
        if (s) gp += ", ";
        // Series of one panel differ in colour, dash pattern and marker, so coincident curves
        // stay visible (a marker every ~1/12 of a curve's points: `pi`).
        const std::string k = std::to_string(s % 8 + 1);
        const std::size_t n = pn.series[s].points.size();
        std::string style = pn.series[s].style;
        if (style == "lines")
          style = "linespoints pi " + std::to_string(std::max<std::size_t>(1, n / 12)) +
                  " ps 0.9 pt " + std::to_string(s % 8 + 4) + " dt " + k;
        else if (style == "linespoints")
          style += " ps 1.1 pt " + std::to_string(s % 8 + 4) + " dt " + k;
        gp += "'" + name + ".dat' index " + std::to_string(idx[p][s]) + " using 1:2 with " + style +
              " lw 2 title " + q(pn.series[s].label);
      }
      gp += "\n";
      gp += "unset label\nunset arrow\n";
    }
    gp += "unset multiplot\n";
  }
  write_file(stem + ".gp", gp);
  if (gnuplot_) {
    // No shell: gnuplot gets the script's name as one argument, in the staging folder.
    SpawnOptions run;
    run.argv = {*gnuplot_, name + ".gp"};
    run.working_dir = out_.staging();
    if (!run_process(run, kGnuplotTimeoutS).ok()) plot_failures_.push_back(name);
  }
}

Series cdf(const std::string& label, std::vector<double> v, double scale) {
  std::sort(v.begin(), v.end());
  Series s{label, {}, "lines"};
  const std::size_t n = v.size();
  const std::size_t step = std::max<std::size_t>(1, n / 300);
  for (std::size_t i = 0; i < n; i += step)
    s.points.emplace_back(v[i] * scale, static_cast<double>(i + 1) / n);
  if (n) s.points.emplace_back(v.back() * scale, 1.0);
  return s;
}

}  // namespace hivemind::experiments::detail
