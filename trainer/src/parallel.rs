//! Data parallelism on the CPU: each batch is dealt into one shard per core, every shard runs
//! its forward and backward pass on its own thread, and the optimizer sums the shards'
//! gradients ([`crate::optim::AdamW::step`]).
//!
//! candle splits single ops across threads instead, which keeps two cores only about 65 % busy
//! on this model: layer norms, reductions, copies and the CRF's small per-position ops run on
//! one thread while the other waits at a barrier (592 pieces/s with candle's threads, 463 with
//! one thread, on the union config). Whole shards on their own threads keep every core busy;
//! [`single_threaded_ops`] turns candle's own threading off for them.
//!
//! A shard's dropout comes from its own generator, seeded by the step and the shard, so a run
//! repeats exactly whatever order the threads run in (and a resumed run too).

use anyhow::Result;

/// The number of shards a batch is dealt into: the cores this process may use.
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Makes candle run each op on the calling thread (its matrix products and element-wise ops
/// read these variables), so that [`run_shards`]' threads do not compete with candle's. Call
/// before the first tensor op of the process; a variable the user set is kept.
pub fn single_threaded_ops() {
    for name in ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, "1");
        }
    }
}

/// Deals `members` into at most `n` shards, round robin, so that shards of a length-sorted
/// batch have about the same lengths; no shard is empty.
pub fn deal(members: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.clamp(1, members.len().max(1));
    let mut shards = vec![Vec::with_capacity(members.len().div_ceil(n)); n];
    for (k, &m) in members.iter().enumerate() {
        shards[k % n].push(m);
    }
    shards.retain(|s| !s.is_empty());
    shards
}

/// Runs `f(shard index, shard)` for every shard, each on its own thread (the last on the
/// calling one), and returns the results in shard order.
pub fn run_shards<S: Sync, T: Send>(
    shards: &[S],
    f: impl Fn(usize, &S) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let Some((last, rest)) = shards.split_last() else {
        return Ok(Vec::new());
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = rest
            .iter()
            .enumerate()
            .map(|(k, shard)| {
                let f = &f;
                scope.spawn(move || f(k, shard))
            })
            .collect();
        let own = f(rest.len(), last);
        let mut results = Vec::with_capacity(shards.len());
        for handle in handles {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
            );
        }
        results.push(own?);
        Ok(results)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dealing_balances_and_keeps_every_member_once() {
        let shards = deal(&[7, 3, 9, 1, 4], 2);
        assert_eq!(shards, vec![vec![7, 9, 4], vec![3, 1]]);
        assert_eq!(deal(&[5], 4), vec![vec![5]]);
        assert!(deal(&[], 2).is_empty());
    }

    #[test]
    fn shards_run_in_order_and_errors_propagate() {
        let out = run_shards(&[1, 2, 3], |k, &x| Ok((k, x * 10))).unwrap();
        assert_eq!(out, vec![(0, 10), (1, 20), (2, 30)]);
        let err = run_shards(&[1, 2], |_, &x| {
            if x == 1 {
                anyhow::bail!("shard failed")
            }
            Ok(x)
        });
        assert!(err.unwrap_err().to_string().contains("shard failed"));
    }
}
