//! The auditor's sample: a reproducible draw of review items, so the auditor (or anyone with the
//! seed) draws the same items again and re-performs the test on them. The generator is written
//! out here (SplitMix64 feeding a partial Fisher–Yates shuffle) so the same seed gives the same
//! sample on every machine and in every later version, whatever a random-number crate changes.

/// One step of SplitMix64 (Steele, Lea and Flood, 2014): a full-period 64-bit generator.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in `0..bound` without modulo bias (rejection of the short last stretch).
fn below(state: &mut u64, bound: u64) -> u64 {
    let zone = u64::MAX - u64::MAX % bound;
    loop {
        let x = splitmix64(state);
        if x < zone {
            return x % bound;
        }
    }
}

/// Draws `size` of `population` (item ids, in any order) with `seed`: the same population, size
/// and seed always give the same sample, returned in ascending order. A size at or above the
/// population's takes it whole.
pub fn draw(population: &[u32], size: usize, seed: u64) -> Vec<u32> {
    let mut ids: Vec<u32> = population.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let size = size.min(ids.len());
    let mut state = seed;
    for i in 0..size {
        let j = i + below(&mut state, (ids.len() - i) as u64) as usize;
        ids.swap(i, j);
    }
    ids.truncate(size);
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests;
