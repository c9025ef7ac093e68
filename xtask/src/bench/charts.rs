//! SVG charts of a run (plotters): fill time against N (the seed notebook's plot),
//! speed-up against threads for each workload, and time as a share of the floor.

use super::results::{Measurement, Report};
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes every chart the report has data for into `dir`; returns the files written.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    let path = dir.join("fill_time_vs_n.svg");
    if fill_time(report, &path).map_err(|e| format!("{}: {e}", path.display()))? {
        written.push(path);
    }
    let path = dir.join("speedup_vs_threads.svg");
    if speedup(report, &path).map_err(|e| format!("{}: {e}", path.display()))? {
        written.push(path);
    }
    let path = dir.join("fraction_of_floor.svg");
    if floor_fraction(report, &path).map_err(|e| format!("{}: {e}", path.display()))? {
        written.push(path);
    }
    Ok(written)
}

/// Fill time against N on log–log axes, one line per contender with a min–max band.
fn fill_time(report: &Report, path: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    let fill: Vec<&Measurement> = report
        .runs
        .iter()
        .filter(|m| m.workload == "fill" && m.size_value > 0.0)
        .collect();
    let mut series: Vec<(String, Vec<&Measurement>)> = Vec::new();
    for m in &fill {
        let key = if m.contender == "serial" {
            "serial".to_string()
        } else {
            format!("{} ×{}", m.contender, m.threads)
        };
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(m),
            None => series.push((key, vec![m])),
        }
    }
    series.retain(|(_, v)| v.len() >= 2);
    if series.is_empty() {
        return Ok(false);
    }
    let (xmin, xmax) = bounds(fill.iter().map(|m| m.size_value));
    let (ymin, ymax) = bounds(fill.iter().flat_map(|m| [m.samples.min(), m.samples.max()]));
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("fill: time vs N (n = m = 500)", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (xmin * 0.8..xmax * 1.25).log_scale(),
            (ymin * 0.7..ymax * 1.4).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("N = M (block rows = block columns)")
        .y_desc("seconds")
        .x_label_formatter(&|x| log_tick_label(*x, |v| format!("{v:.0}")))
        .y_label_formatter(&|y| log_tick_label(*y, |v| format!("{v:.0e}")))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let mut band: Vec<(f64, f64)> = points
            .iter()
            .map(|m| (m.size_value, m.samples.max()))
            .collect();
        band.extend(points.iter().rev().map(|m| (m.size_value, m.samples.min())));
        chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.2))))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|m| (m.size_value, m.samples.median())),
                color.stroke_width(2),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(true)
}

/// Speed-up over serial against threads, per workload (largest size measured), with
/// the ideal line.
fn speedup(report: &Report, path: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for group in report.groups() {
        let Some(serial) = group.iter().find(|m| m.contender == "serial") else {
            continue;
        };
        let pts: Vec<(f64, f64)> = group
            .iter()
            .filter(|m| m.contender == "accel")
            .map(|m| {
                (
                    m.threads as f64,
                    serial.samples.median() / m.samples.median(),
                )
            })
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let name = format!("{} {}", group[0].workload, group[0].size);
        // Keep the last (largest) size per workload.
        lines.retain(|(n, _)| !n.starts_with(group[0].workload));
        lines.push((name, pts));
    }
    if lines.is_empty() {
        return Ok(false);
    }
    let tmax = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(t, _)| t))
        .fold(1.0, f64::max);
    let smax = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, s)| s))
        .fold(tmax, f64::max);
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("speed-up over serial vs threads", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.5..tmax + 0.5, 0.0..smax * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("speed-up (serial median / accel median)")
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            [(1.0, 1.0), (tmax, tmax)],
            BLACK.mix(0.5).stroke_width(1),
        ))?
        .label("ideal")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.mix(0.5)));
    for (i, (name, pts)) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)).point_size(4))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(true)
}

/// Share of the bandwidth floor each contender reaches at the largest size of each
/// workload, as horizontal bars.
fn floor_fraction(report: &Report, path: &Path) -> Result<bool, Box<dyn std::error::Error>> {
    let mut bars: Vec<(String, f64)> = Vec::new();
    let mut last_of: Vec<Vec<&Measurement>> = Vec::new();
    for group in report.groups() {
        last_of.retain(|g| g[0].workload != group[0].workload);
        last_of.push(group);
    }
    for group in &last_of {
        for m in group {
            if let Some(f) = m.floor_secs {
                let who = if m.contender == "serial" || m.contender == "naive" {
                    m.contender.to_string()
                } else {
                    format!("{} ×{}", m.contender, m.threads)
                };
                bars.push((
                    format!("{} {} · {}", m.workload, m.size, who),
                    f / m.samples.median(),
                ));
            }
        }
    }
    if bars.is_empty() {
        return Ok(false);
    }
    let height = 80 + 26 * bars.len() as u32;
    let xmax = bars.iter().map(|b| b.1).fold(1.0, f64::max) * 1.05;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = bars.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "time as a share of the bandwidth floor (1.0 = at the floor)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(320)
        .build_cartesian_2d(0.0..xmax, (0..n).into_segmented())?;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .x_desc("floor seconds / median seconds")
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(i, (_, v))| {
        let color = PALETTE[i % PALETTE.len()];
        Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*v, SegmentValue::Exact(i + 1)),
            ],
            color.mix(0.7).filled(),
        )
    }))?;
    root.present()?;
    Ok(true)
}

/// The label of a tick on a log axis: plotters puts ticks at every 1–9 × 10^k,
/// whose labels run into each other ("70.080.090100.0"); only 1, 2 and 5 × 10^k
/// are labelled (with `format`), the other ticks stay unlabelled.
fn log_tick_label(value: f64, format: impl Fn(f64) -> String) -> String {
    if !(value > 0.0 && value.is_finite()) {
        return String::new();
    }
    let mantissa = value / 10f64.powf(value.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|&m| (mantissa - m).abs() < 1e-6 * m);
    if nice { format(value) } else { String::new() }
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

#[cfg(test)]
mod tests {
    use super::log_tick_label;

    #[test]
    fn log_axes_label_only_1_2_5_ticks() {
        let label = |v: f64| log_tick_label(v, |v| format!("{v:.0}"));
        let shown: Vec<String> = [
            10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 200.0, 500.0,
        ]
        .into_iter()
        .map(label)
        .filter(|l| !l.is_empty())
        .collect();
        assert_eq!(shown, ["10", "20", "50", "100", "200", "500"]);
        assert_eq!(log_tick_label(2e-4, |v| format!("{v:.0e}")), "2e-4");
        assert_eq!(log_tick_label(3e-4, |v| format!("{v:.0e}")), "");
        assert_eq!(label(0.0), "");
        assert_eq!(label(f64::NAN), "");
    }
}
