// Plots of `hivemind reproduce`: gnuplot data blocks and a script per figure (PNG and SVG), run
// without a shell in the staging folder, and the CDF series most figures draw.

#include <algorithm>
#include <cmath>

#include "context.hpp"
#include "hivemind/process.hpp"
#include "hivemind/sim/report.hpp"

namespace hivemind::experiments::detail {

namespace {

// A gnuplot double-quoted string (the terminals are noenhanced).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out + "\"";
}

// "[a:b]", "*" for an end that autoscales.
std::string range(double lo, double hi) {
  auto end = [](double v) { return std::isnan(v) ? std::string("*") : num(v); };
  return "[" + end(lo) + ":" + end(hi) + "]";
}

// What one panel draws: its series with those identical to an earlier one folded into it
// (the label lists them all), each with its index among the panel's series (its colour,
// marker and dash stay those of the series, whatever was folded).
struct Drawn {
  Series series;
  std::size_t k = 0;
  std::vector<std::string> same = {};  // labels of the series folded into this one
};

std::vector<Drawn> fold_identical(const Panel& pn) {
  std::vector<Drawn> out;
  for (std::size_t s = 0; s < pn.series.size(); ++s) {
    const Series& sr = pn.series[s];
    bool folded = false;
    for (std::size_t d = 0; d < out.size() && !folded && sr.style != "bars"; ++d)
      if (!sr.points.empty() && out[d].series.style != "bars" &&
          out[d].series.points == sr.points) {
        out[d].same.push_back(sr.label);
        folded = true;
      }
    if (!folded) out.push_back({sr, s});
  }
  return out;
}

}  // namespace

void Context::plot(const std::string& stem, const std::string& title_in,
                   const std::vector<Panel>& panels, int cols) {
  const std::string name = stem + suffix_;  // the files' name (write_file adds the suffix)
  const std::string title = title_in + pass().title;
  std::string dat, gp;
  int index = 0;
  std::vector<std::vector<Drawn>> drawn(panels.size());
  std::vector<std::vector<int>> idx(panels.size());
  for (std::size_t p = 0; p < panels.size(); ++p) {
    drawn[p] = fold_identical(panels[p]);
    for (const auto& d : drawn[p]) {
      const Series& s = d.series;
      std::string label = s.label;
      for (std::size_t i = 0; i < d.same.size(); ++i)
        label += (i ? ", " : " (= ") + d.same[i] + (i + 1 == d.same.size() ? ")" : "");
      dat += "# " + panels[p].title + " / " + label + "\n";
      for (const auto& [x, y] : s.points) dat += num(x) + " " + num(y) + "\n";
      if (s.points.empty()) dat += "nan nan\n";
      dat += "\n\n";
      idx[p].push_back(index++);
    }
  }
  write_file(stem + ".dat", dat);
  const int rows = static_cast<int>((panels.size() + cols - 1) / cols);
  constexpr int kCellW = 760, kCellH = 400, kTitleH = 30;  // pixels
  const int w = kCellW * cols, h = kCellH * rows + kTitleH;
  // Every panel's plot area at the same place in its cell and its legend right of it, outside
  // the data (the last third of the cell), so the axes of a column line up whatever the
  // legends' widths.
  auto margins = [&](std::size_t p) {
    const int r = static_cast<int>(p) / cols, c = static_cast<int>(p) % cols;
    const int top = h - kTitleH - r * kCellH;  // the cell's top, pixels from the bottom
    auto sx = [&](int px) { return num(static_cast<double>(px) / w); };
    auto sy = [&](int px) { return num(static_cast<double>(px) / h); };
    const int right = c * kCellW + kCellW * 64 / 100;
    return "set lmargin at screen " + sx(c * kCellW + 80) + "\nset rmargin at screen " + sx(right) +
           "\nset tmargin at screen " + sy(top - 40) + "\nset bmargin at screen " +
           sy(top - kCellH + 60) + "\nset key at screen " + sx(right + 10) + "," + sy(top - 40) +
           " left top vertical Left reverse font ',8'\n";
  };
  for (const char* term : {"png", "svg"}) {
    const std::string ext = term;
    gp += ext == "png" ? "set terminal pngcairo size " + std::to_string(w) + "," +
                             std::to_string(h) + " font 'Sans,10' noenhanced\n"
                       : "set terminal svg size " + std::to_string(w) + "," + std::to_string(h) +
                             " font 'Sans,10' noenhanced background '#ffffff'\n";
    gp += "set output '" + name + "." + ext + "'\n";
    gp += "set datafile missing 'nan'\nset grid\n";
    gp += "set multiplot title " + quoted(title) + "\n";
    for (std::size_t p = 0; p < panels.size(); ++p) {
      const Panel& pn = panels[p];
      gp += margins(p);
      gp += "set title " + quoted(pn.title) + "\nset xlabel " + quoted(pn.xlabel) +
            "\nset ylabel " + quoted(pn.ylabel) + "\n";
      gp += pn.logx ? "set logscale x\n" : "unset logscale x\n";
      gp += pn.logy ? "set logscale y\n" : "unset logscale y\n";
      const std::size_t ncat = pn.categories.size();
      double xmin = pn.xmin, xmax = pn.xmax;
      if (ncat) {
        // Categories as tics, without the grid lines between bars; long names slanted.
        std::string tics;
        std::size_t chars = 0;
        for (std::size_t c = 0; c < ncat; ++c) {
          tics += (c ? ", " : "") + quoted(pn.categories[c]) + " " + std::to_string(c);
          chars += pn.categories[c].size();
        }
        gp += "set xtics (" + tics + ")" + (chars > 60 ? " rotate by -20" : "") +
              "\nset grid noxtics ytics\n";
        if (std::isnan(xmin)) xmin = -0.5;
        if (std::isnan(xmax)) xmax = static_cast<double>(ncat) - 0.5;
      } else {
        gp += "set xtics autofreq norotate\nset grid xtics ytics\n";
      }
      gp += "set xrange " + range(xmin, xmax) + "\nset yrange " + range(pn.ymin, pn.ymax) + "\n";
      gp += pn.extra;
      std::size_t bars = 0, bar = 0;
      for (const auto& d : drawn[p]) bars += d.series.style == "bars";
      const double bw = bars ? 0.8 / static_cast<double>(bars) : 0.0;
      if (bars) gp += "set boxwidth " + num(bw) + " absolute\nset style fill solid 0.75 border\n";
      gp += "plot ";
      const std::size_t n_series = pn.series.size();
      for (std::size_t s = 0; s < drawn[p].size(); ++s) {
        if (s) gp += ", ";
        const Series& sr = drawn[p][s].series;
        const std::size_t k = drawn[p][s].k;  // the series' own index: its colour and marker
        const std::string lc = " lc " + std::to_string(k % 8 + 1);
        const std::string data = "'" + name + ".dat' index " + std::to_string(idx[p][s]);
        if (sr.style == "bars") {
          // Side by side within the category, each bar with its value above it.
          const double offset = bw * (static_cast<double>(bar++) + 0.5) - 0.4;
          const std::string x = "($1+(" + num(offset) + "))";
          gp += data + " using " + x + ":2 with boxes" + lc + " title " + quoted(sr.label) + ", " +
                data + " using " + x +
                ":2:(sprintf(abs($2) < 1 ? '%.2g' : '%.3g', $2)) with labels offset 0,0.6 font "
                "',8' notitle";
          continue;
        }
        // Series of one panel differ in colour, dash pattern, open marker and width, the earlier
        // ones wider: curves that coincide stay visible, one inside the other (a marker every
        // ~1/12 of a curve's points: `pi`).
        const double depth =
            n_series > 1 ? static_cast<double>(n_series - 1 - k) / static_cast<double>(n_series - 1)
                         : 0.0;
        static const int kOpenMarkers[8] = {6, 4, 8, 12, 10, 1, 2, 3};
        const std::string mark = " pt " + std::to_string(kOpenMarkers[k % 8]) + " dt " +
                                 std::to_string(k % 8 + 1) + " lw " + num(1.25 + 2.5 * depth);
        std::string style = sr.style;
        const std::size_t n = sr.points.size();
        if (style == "lines")
          style = "linespoints pi " + std::to_string(std::max<std::size_t>(1, n / 12)) + " ps " +
                  num(0.8 + 0.9 * depth) + mark;
        else if (style == "linespoints")
          style += " ps " + num(1.0 + 1.0 * depth) + mark;
        else
          style += " lw 2";
        gp += data + " using 1:2 with " + style + lc + " title " + quoted(sr.label);
        // The identical series folded into this one: a key line each, under its sample.
        for (const auto& same : drawn[p][s].same)
          gp += ", keyentry with points ps 0 title " + quoted("(= " + same + ")");
      }
      gp += "\n";
      gp += "unset label\nunset arrow\nset style fill empty\n";
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
