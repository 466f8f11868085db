//! The price of one call in US dollars, from its token usage and the model's prices.

use crate::Usage;
use crate::models::Prices;

const PER_MILLION: f64 = 1_000_000.0;

/// What `usage` cost at `prices`.
///
/// Cache writes and reads are priced separately from uncached input. A long-context price
/// applies to the whole call, output included, once the prompt (uncached input plus cache
/// writes and reads: everything the model read) is above the threshold; at exactly the
/// threshold the base prices still apply.
pub fn cost_usd(usage: &Usage, prices: &Prices) -> f64 {
    let base = usage.input_tokens as f64 * prices.input
        + usage.output_tokens as f64 * prices.output
        + usage.cache_write_tokens as f64 * prices.cache_write
        + usage.cache_read_tokens as f64 * prices.cache_read;
    let prompt = usage.input_tokens + usage.cache_write_tokens + usage.cache_read_tokens;
    let multiplier = match prices.long_context {
        Some(long) if prompt > long.threshold_tokens => long.multiplier,
        _ => 1.0,
    };
    base * multiplier / PER_MILLION
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Registry;

    fn usage(input: u64, output: u64, cache_write: u64, cache_read: u64) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_write_tokens: cache_write,
            cache_read_tokens: cache_read,
        }
    }

    #[test]
    fn prices_of_the_default_models() {
        let registry = Registry::default();
        // (model, usage, expected dollars)
        let cases = [
            ("claude-haiku-5-5", usage(100_000, 0, 0, 0), 0.01),
            ("claude-haiku-5-5", usage(0, 1_000_000, 0, 0), 0.50),
            ("claude-haiku-5-5", usage(10_000, 2_000, 0, 0), 0.002),
            // Exactly at the 100k threshold: base prices.
            ("claude-haiku-5-5", usage(100_000, 1_000, 0, 0), 0.0105),
            // 150k prompt tokens: every price 5x, output included.
            ("claude-haiku-5-5", usage(150_000, 1_000, 0, 0), 0.0775),
            // The threshold counts cache tokens too: 60k + 50k + 40k = 150k.
            // Base: 0.006 + 0.00625 + 0.0004 + 0.0005 = 0.01315; x5.
            (
                "claude-haiku-5-5",
                usage(60_000, 1_000, 50_000, 40_000),
                0.06575,
            ),
            // Below the threshold with cache tokens: base prices.
            ("claude-haiku-5-5", usage(10_000, 0, 40_000, 40_000), 0.0064),
            ("claude-haiku-4-5", usage(150_000, 1_000, 0, 0), 0.155),
            // Sonnet 5.5: cache read cut to $0.10, write 1.25x of $2.
            (
                "claude-sonnet-5-5",
                usage(1_000, 500, 100_000, 200_000),
                0.277,
            ),
            (
                "claude-sonnet-4-6",
                usage(1_000_000, 1_000_000, 1_000_000, 1_000_000),
                22.05,
            ),
            ("claude-opus-5-5", usage(500_000, 100_000, 0, 0), 4.0),
            ("claude-opus-5-5", usage(0, 0, 0, 0), 0.0),
        ];
        for (model, usage, expected) in cases {
            let spec = registry.get(model).expect("a default model");
            let got = cost_usd(&usage, &spec.prices);
            assert!(
                (got - expected).abs() < 1e-9,
                "{model} {usage:?}: expected ${expected}, got ${got}"
            );
        }
    }

    #[test]
    fn long_context_multiplies_the_whole_call() {
        let haiku = Registry::default()
            .get("claude-haiku-5-5")
            .cloned()
            .expect("haiku 5.5");
        let small = usage(50_000, 2_000, 10_000, 5_000);
        let large = usage(100_000, 4_000, 20_000, 10_000);
        let ratio = cost_usd(&large, &haiku.prices) / cost_usd(&small, &haiku.prices);
        // Twice the tokens, and above the threshold: 2 x 5.
        assert!((ratio - 10.0).abs() < 1e-9, "ratio {ratio}");
    }
}
