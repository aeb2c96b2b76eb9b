//! The region's source of randomness: SplitMix64, written out here so that a seed gives the
//! same region on every platform and with every version of every dependency.

/// A small, fast, deterministic generator; each patient gets its own, derived from the seed.
#[derive(Debug, Clone)]
pub(super) struct Random(u64);

impl Random {
    #[cfg(test)]
    pub(super) fn new(seed: u64) -> Self {
        Random(seed)
    }

    /// The generator of item `index` of stream `stream` under `seed`: independent of every
    /// other item, so that items can be made in any order.
    pub(super) fn for_item(seed: u64, stream: u64, index: u64) -> Self {
        let mut mixer = Random(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let base = mixer.next_u64();
        Random(base ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `0..bound` (`bound` > 0).
    pub(super) fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A whole number in `low..=high`.
    pub(super) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// A number in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`, uniformly (`items` is not empty).
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `items`, each as likely as its weight.
    pub(super) fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, weight)| weight).sum();
        let mut left = self.unit() * total;
        for (item, weight) in items {
            if left < *weight {
                return item;
            }
            left -= weight;
        }
        &items[items.len() - 1].0
    }

    /// A DICOM UID under the UUID-derived root `2.25`, from 128 random bits.
    pub(super) fn dicom_uid(&mut self) -> String {
        let high = u128::from(self.next_u64()) << 64;
        format!("2.25.{}", high | u128::from(self.next_u64()))
    }

    /// A version 4 UUID, for `urn:uuid:` fullUrls.
    pub(super) fn uuid(&mut self) -> String {
        let (high, low) = (self.next_u64(), self.next_u64());
        let high = (high & !0xF000) | 0x4000;
        let low = (low & !(0b11 << 62)) | (0b10 << 62);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_gives_one_sequence() {
        let (mut a, mut b) = (Random::new(7), Random::new(7));
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(Random::new(8).next_u64(), first[0]);
    }

    #[test]
    fn items_of_a_stream_differ_from_each_other_and_from_other_streams() {
        let value = |stream, index| Random::for_item(42, stream, index).next_u64();
        assert_ne!(value(1, 0), value(1, 1));
        assert_ne!(value(1, 0), value(2, 0));
        assert_eq!(value(3, 9), value(3, 9));
    }

    #[test]
    fn draws_stay_in_their_bounds() {
        let mut random = Random::new(1);
        for _ in 0..1000 {
            assert!(random.below(9) < 9);
            assert!((3..=5).contains(&random.between(3, 5)));
            assert!((0.0..1.0).contains(&random.unit()));
        }
    }

    #[test]
    fn uuids_have_the_version_4_shape() {
        let uuid = Random::new(3).uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }
}
