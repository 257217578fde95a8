//! Pages that stop at a byte budget as well as at their counts: each keeps
//! the items nearest its reader's position whose JSON (with the commas
//! between them) fits the budget, and at least one, so that a reader paging
//! through always moves on.

/// Keeps the newest items (the end of `items`) that fit `budget` bytes, at
/// least one; returns whether any was dropped.
pub(super) fn keep_newest_within<T>(
    items: &mut Vec<T>,
    budget: usize,
    len: impl Fn(&T) -> usize,
) -> bool {
    let kept = fitting(items.iter().rev(), budget, len).max(1.min(items.len()));
    let dropped = items.len() - kept;
    items.drain(..dropped);
    dropped > 0
}

/// Keeps the oldest items (the start of `items`) that fit `budget` bytes, at
/// least one; returns whether any was dropped.
pub(super) fn keep_oldest_within<T>(
    items: &mut Vec<T>,
    budget: usize,
    len: impl Fn(&T) -> usize,
) -> bool {
    let kept = fitting(items.iter(), budget, len).max(1.min(items.len()));
    let dropped = items.len() > kept;
    items.truncate(kept);
    dropped
}

/// How many of `items`, taken in order, fit `budget` (a comma between each
/// two).
fn fitting<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    budget: usize,
    len: impl Fn(&T) -> usize,
) -> usize {
    let mut used = 0;
    let mut count = 0;
    for item in items {
        used += len(item) + usize::from(count > 0);
        if used > budget {
            break;
        }
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_keep_what_fits_and_at_least_one() {
        let len = |n: &usize| *n;
        let mut newest = vec![5, 4, 3, 2];
        // 2 + 1 + 3 + 1 + 4 = 11 fits 11; with 5 more it would not.
        assert!(keep_newest_within(&mut newest, 11, len));
        assert_eq!(newest, [4, 3, 2]);
        let mut oldest = vec![5, 4, 3, 2];
        assert!(keep_oldest_within(&mut oldest, 10, len));
        assert_eq!(oldest, [5, 4]);
        let mut huge = vec![1, 100];
        assert!(keep_newest_within(&mut huge, 10, len));
        assert_eq!(huge, [100]);
        let mut all = vec![1, 1];
        assert!(!keep_oldest_within(&mut all, 3, len));
        let mut none: Vec<usize> = vec![];
        assert!(!keep_newest_within(&mut none, 0, len));
    }
}
