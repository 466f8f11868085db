//! Percentiles of latency samples and the per-field median of several runs' JSON reports.

use std::time::Duration;

use serde_json::{Map, Value, json};

/// Rounds to 3 decimals so reports stay readable.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The nearest-rank percentile `p` (0..=1) of sorted samples.
fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// `{p50, p90, p95, p99, max, mean, count}` in milliseconds of samples in microseconds.
pub fn summarize_us(samples: &mut [u32]) -> Value {
    samples.sort_unstable();
    let ms = |v: Option<u32>| v.map(|us| round3(f64::from(us) / 1000.0));
    let mean = if samples.is_empty() {
        None
    } else {
        let sum: u64 = samples.iter().map(|&v| u64::from(v)).sum();
        Some(round3(sum as f64 / samples.len() as f64 / 1000.0))
    };
    json!({
        "p50": ms(nearest_rank(samples, 0.50)),
        "p90": ms(nearest_rank(samples, 0.90)),
        "p95": ms(nearest_rank(samples, 0.95)),
        "p99": ms(nearest_rank(samples, 0.99)),
        "max": ms(samples.last().copied()),
        "mean": mean,
        "count": samples.len(),
    })
}

/// The same summary for durations.
pub fn summarize(samples: &[Duration]) -> Value {
    let mut us: Vec<u32> = samples
        .iter()
        .map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX))
        .collect();
    summarize_us(&mut us)
}

/// Combines reports of identical runs: every number becomes the median of that field over the
/// runs (objects recursively); anything else is taken from the first run.
pub fn median_json(runs: &[Value]) -> Value {
    let Some(first) = runs.first() else {
        return Value::Null;
    };
    match first {
        Value::Object(obj) => {
            let mut out = Map::new();
            for key in obj.keys() {
                let column: Vec<Value> = runs
                    .iter()
                    .map(|r| r.get(key).cloned().unwrap_or(Value::Null))
                    .collect();
                out.insert(key.clone(), median_json(&column));
            }
            Value::Object(out)
        }
        Value::Number(_) => {
            let mut nums: Vec<f64> = runs.iter().filter_map(Value::as_f64).collect();
            if nums.len() != runs.len() {
                return first.clone();
            }
            nums.sort_by(f64::total_cmp);
            let n = nums.len();
            let median = if n % 2 == 1 {
                nums[n / 2]
            } else {
                (nums[n / 2 - 1] + nums[n / 2]) / 2.0
            };
            if runs.iter().all(|r| r.is_u64()) && median.fract() == 0.0 {
                json!(median as u64)
            } else {
                json!(round3(median))
            }
        }
        Value::Array(items)
            if runs
                .iter()
                .all(|r| r.as_array().is_some_and(|a| a.len() == items.len())) =>
        {
            let out = (0..items.len())
                .map(|i| median_json(&runs.iter().map(|r| r[i].clone()).collect::<Vec<_>>()))
                .collect();
            Value::Array(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut samples: Vec<u32> = (1..=100).map(|v| v * 1000).collect();
        let s = summarize_us(&mut samples);
        assert_eq!(s["p50"], json!(50.0));
        assert_eq!(s["p99"], json!(99.0));
        assert_eq!(s["max"], json!(100.0));
        assert_eq!(s["count"], json!(100));
        assert_eq!(summarize_us(&mut [])["p50"], Value::Null);
    }

    #[test]
    fn median_of_runs_is_per_field() {
        let runs = vec![
            json!({"a": 1, "l": {"p99": 3.0}, "s": "x", "v": [1.0, 9.0]}),
            json!({"a": 5, "l": {"p99": 1.0}, "s": "y", "v": [2.0, 8.0]}),
            json!({"a": 2, "l": {"p99": 2.0}, "s": "z", "v": [3.0, 7.0]}),
        ];
        assert_eq!(
            median_json(&runs),
            json!({"a": 2, "l": {"p99": 2.0}, "s": "x", "v": [2.0, 8.0]})
        );
    }
}
