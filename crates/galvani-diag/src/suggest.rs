//! "Did you mean …?" suggestions, the one implementation the checker (unknown names and
//! units) and the command line (unknown `--set`/`--init`/`--input`/`--record` names) share:
//! a case-insensitive exact match first (`mv` → `mV`), otherwise the closest candidate by
//! optimal-string-alignment distance (insertions, deletions, substitutions and adjacent
//! transpositions each cost 1) within [`max_distance`]. Ties go to the earliest candidate,
//! so callers list the most likely kind of name first (model names before unit names).

/// How far a suggestion may be from what was written: `max(2, len/3)`, but always less
/// than `len` so that a one-letter name never suggests another one-letter name.
/// Examples: `tua` (3) → 2, `g_leak` (6) → 2, `V_threshold` (11) → 3, `x` (1) → 0.
pub fn max_distance(written: &str) -> usize {
    let len = written.chars().count();
    (len / 3).max(2).min(len.saturating_sub(1))
}

/// Optimal string alignment distance, giving up (returning `None`) as soon as it must
/// exceed `limit`. Bytes are compared (names are ASCII). Cost `O(|a|·|b|)` at most, and
/// `O(1)` when the lengths differ by more than `limit`.
/// Example: `osa_distance("tua", "tau", 2) == Some(1)`, `osa_distance("g_Na", "E_K", 2)
/// == None`.
pub fn osa_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Three rows of the dynamic programme: i-2, i-1, i.
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![0; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current: Vec<usize> = vec![0; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let d = previous[b.len()];
    (d <= limit).then_some(d)
}

/// The best suggestion for `written` among `candidates` (in priority order), or `None`.
/// A candidate equal to `written` is never suggested.
pub fn suggest<'c>(written: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    let limit = max_distance(written);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == written {
            continue;
        }
        if candidate.eq_ignore_ascii_case(written) {
            // A case slip beats any edit distance (`mv` → `mV`).
            if best.is_none_or(|(d, _)| d > 0) {
                best = Some((0, candidate));
            }
            continue;
        }
        let bound = match best {
            Some((d, _)) if d <= limit => d.saturating_sub(1),
            _ => limit,
        };
        if let Some(d) = osa_distance(written, candidate, bound) {
            if best.is_none_or(|(b, _)| d < b) && d > 0 {
                best = Some((d, candidate));
            }
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(osa_distance("tua", "tau", 2), Some(1));
        assert_eq!(osa_distance("gNa", "g_Na", 2), Some(1));
        assert_eq!(osa_distance("g_Na", "E_K", 2), None);
        assert_eq!(osa_distance("abc", "abc", 0), Some(0));
        assert_eq!(osa_distance("", "ab", 2), Some(2));
        assert_eq!(osa_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(osa_distance("kitten", "sitting", 2), None);
    }

    #[test]
    fn thresholds() {
        assert_eq!(max_distance("x"), 0);
        assert_eq!(max_distance("ab"), 1);
        assert_eq!(max_distance("tua"), 2);
        assert_eq!(max_distance("V_threshold"), 3);
    }

    #[test]
    fn suggestions_prefer_case_then_distance_then_order() {
        assert_eq!(suggest("mv", ["ms", "mV"]), Some("mV".into()));
        assert_eq!(suggest("g_na", ["g_K", "g_Na"]), Some("g_Na".into()));
        assert_eq!(
            suggest("E_Nx", ["E_K", "E_Na", "E_Nb"]),
            Some("E_Na".into())
        );
        assert_eq!(suggest("x", ["y", "V"]), None);
        assert_eq!(suggest("totally_different", ["V"]), None);
    }

    #[test]
    fn the_closest_candidate_wins_over_the_first_close_one() {
        // `g_N` is within reach (distance 2) and listed first, `g_Na` is closer (1).
        assert_eq!(suggest("g_Naa", ["g_N", "g_Na"]), Some("g_Na".into()));
        assert_eq!(suggest("tua", ["tauu", "tau"]), Some("tau".into()));
    }

    #[test]
    fn a_case_only_difference_beats_any_edit() {
        assert_eq!(suggest("v", ["u", "V"]), Some("V".into()));
        assert_eq!(suggest("I_E", ["I_e2", "I_e"]), Some("I_e".into()));
        // Among several case slips, the first declared wins.
        assert_eq!(suggest("ms", ["MS", "Ms"]), Some("MS".into()));
    }

    #[test]
    fn nothing_to_suggest() {
        assert_eq!(suggest("g_Na", []), None);
        assert_eq!(suggest("g_Na", ["g_Na"]), None);
        assert_eq!(suggest("g_Na", ["E_K", "tau_m"]), None);
    }
}
