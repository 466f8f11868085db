//! Edit distance between short texts (lines), for fuzzy matching and for pairing lines in
//! diffs.

/// Edit distance of `a` and `b` if it is at most `k` (banded dynamic programming).
pub(crate) fn levenshtein_within(a: &[char], b: &[char], k: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > k {
        return None;
    }
    let inf = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=b.len())
        .map(|j| if j <= k { j } else { inf })
        .collect();
    let mut cur = vec![inf; b.len() + 1];
    for i in 1..=a.len() {
        let lo = i.saturating_sub(k).max(1);
        let hi = (i + k).min(b.len());
        cur.fill(inf);
        cur[0] = if i <= k { i } else { inf };
        let mut row_min = cur[0];
        for j in lo..=hi {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let v = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > k {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= k)
}

/// Normalized similarity (1 - distance / longer length) of two lines; `1.0` for two empty ones.
/// Very long pairs are estimated from their common prefix and suffix, to bound the work.
pub(crate) fn similarity(a: &[char], b: &[char]) -> f32 {
    const MAX_CELLS: usize = 250_000;
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let d = if a.len() * b.len() <= MAX_CELLS {
        levenshtein_within(a, b, longest).unwrap_or(longest)
    } else {
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let suffix = a[prefix..]
            .iter()
            .rev()
            .zip(b[prefix..].iter().rev())
            .take_while(|(x, y)| x == y)
            .count();
        longest - prefix - suffix
    };
    1.0 - d as f32 / longest as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banded_levenshtein_agrees_with_the_full_one() {
        let words = [
            "",
            "a",
            "kitten",
            "sitting",
            "flaw",
            "lawn",
            "中文字",
            "中字",
            "😀x",
        ];
        for a in words {
            for b in words {
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let full = levenshtein_within(&a, &b, a.len().max(b.len())).unwrap();
                for k in 0..8 {
                    assert_eq!(levenshtein_within(&a, &b, k), (full <= k).then_some(full));
                }
            }
        }
        let (k, s): (Vec<char>, Vec<char>) =
            ("kitten".chars().collect(), "sitting".chars().collect());
        assert_eq!(levenshtein_within(&k, &s, 9), Some(3));
    }

    #[test]
    fn similarity_is_normalized() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(similarity(&c(""), &c("")), 1.0);
        assert_eq!(similarity(&c("abcd"), &c("abcx")), 0.75);
        assert_eq!(similarity(&c("ab"), &c("")), 0.0);
        let long_a = c(&"x".repeat(600));
        let mut long_b = long_a.clone();
        long_b[300] = 'y';
        assert!((similarity(&long_a, &long_b) - 599.0 / 600.0).abs() < 1e-6);
    }
}
