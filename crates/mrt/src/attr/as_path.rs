//! AS_PATH and AS4_PATH (RFC 4271 5.1.2, RFC 5065, RFC 6793): a validated view over the wire
//! bytes, and the AS4_PATH merge.

use routenorms_types::{AsPath, AsPathSegment, Asn, SegmentKind};

/// A validated AS path in wire form: segments of (type, count, ASNs of `asn_size` bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsPathView<'a> {
    data: &'a [u8],
    asn_size: u8,
}

/// One segment of an [`AsPathView`].
#[derive(Clone, Copy, Debug)]
pub struct SegmentView<'a> {
    /// Wire segment type (1 set, 2 sequence, 3 confed sequence, 4 confed set).
    pub code: u8,
    asns: &'a [u8],
    asn_size: u8,
}

impl<'a> SegmentView<'a> {
    pub fn len(&self) -> usize {
        self.asns.len() / self.asn_size as usize
    }

    pub fn is_empty(&self) -> bool {
        self.asns.is_empty()
    }

    pub fn asns(&self) -> impl Iterator<Item = u32> + 'a {
        let size = self.asn_size as usize;
        self.asns.chunks_exact(size).map(move |c| {
            if size == 4 {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u16::from_be_bytes([c[0], c[1]]) as u32
            }
        })
    }

    pub fn last(&self) -> Option<u32> {
        self.asns().last()
    }
}

impl<'a> AsPathView<'a> {
    /// Validates the segment framing; `None` if a segment type is unknown or a segment runs
    /// past the attribute.
    pub fn new(data: &'a [u8], asn_size: u8) -> Option<Self> {
        let mut i = 0;
        while i < data.len() {
            let kind = data[i];
            let n = *data.get(i + 1)? as usize;
            if !(1..=4).contains(&kind) {
                return None;
            }
            i += 2 + n * asn_size as usize;
            if i > data.len() {
                return None;
            }
        }
        Some(AsPathView { data, asn_size })
    }

    /// The raw attribute value.
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    pub fn asn_size(&self) -> u8 {
        self.asn_size
    }

    pub fn segments(&self) -> impl Iterator<Item = SegmentView<'a>> + 'a {
        let data = self.data;
        let size = self.asn_size;
        let mut i = 0;
        std::iter::from_fn(move || {
            if i >= data.len() {
                return None;
            }
            let code = data[i];
            let n = data[i + 1] as usize * size as usize;
            let seg = SegmentView {
                code,
                asns: &data[i + 2..i + 2 + n],
                asn_size: size,
            };
            i += 2 + n;
            Some(seg)
        })
    }

    /// The origin: last ASN of a final AS_SEQUENCE (RFC 6811: NONE for a set).
    pub fn origin(&self) -> Option<u32> {
        let last = self.segments().filter(|s| !s.is_empty()).last()?;
        if last.code == 2 {
            last.last()
        } else {
            None
        }
    }

    /// The number of ASes as RFC 6793 4.2.3 counts them for the merge: a set counts one,
    /// confederation segments count nothing.
    pub fn merge_count(&self) -> usize {
        self.segments()
            .map(|s| match s.code {
                2 => s.len(),
                1 => 1,
                _ => 0,
            })
            .sum()
    }

    /// Owned form.
    pub fn to_as_path(&self) -> AsPath {
        AsPath {
            segments: self
                .segments()
                .filter_map(|s| {
                    Some(AsPathSegment {
                        kind: SegmentKind::from_code(s.code)?,
                        asns: s.asns().map(Asn).collect(),
                    })
                })
                .collect(),
        }
    }
}

/// Merges AS_PATH with AS4_PATH as RFC 6793 4.2.3 says: if AS_PATH counts fewer ASes than
/// AS4_PATH, AS4_PATH is ignored; otherwise the leading ASes of AS_PATH that AS4_PATH does not
/// cover are kept and AS4_PATH follows them.
pub fn merge(as_path: Option<AsPathView<'_>>, as4_path: Option<AsPathView<'_>>) -> AsPath {
    let Some(path) = as_path else {
        return AsPath::default();
    };
    let Some(path4) = as4_path else {
        return path.to_as_path();
    };
    let n = path.merge_count();
    let n4 = path4.merge_count();
    if n < n4 {
        return path.to_as_path();
    }
    let mut keep = n - n4;
    let mut out = AsPath::default();
    for seg in path.segments() {
        if keep == 0 {
            break;
        }
        let Some(kind) = SegmentKind::from_code(seg.code) else {
            continue;
        };
        match seg.code {
            2 => {
                let take = keep.min(seg.len());
                out.segments.push(AsPathSegment {
                    kind,
                    asns: seg.asns().take(take).map(Asn).collect(),
                });
                keep -= take;
            }
            1 => {
                out.segments.push(AsPathSegment {
                    kind,
                    asns: seg.asns().map(Asn).collect(),
                });
                keep -= 1;
            }
            _ => out.segments.push(AsPathSegment {
                kind,
                asns: seg.asns().map(Asn).collect(),
            }),
        }
    }
    out.segments.extend(path4.to_as_path().segments);
    // Adjacent sequences produced by the splice read as one.
    let mut merged: Vec<AsPathSegment> = Vec::with_capacity(out.segments.len());
    for s in out.segments {
        match merged.last_mut() {
            Some(prev) if prev.kind == SegmentKind::Sequence && s.kind == SegmentKind::Sequence => {
                prev.asns.extend(s.asns)
            }
            _ => merged.push(s),
        }
    }
    AsPath { segments: merged }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq2(asns: &[u16]) -> Vec<u8> {
        let mut v = vec![2, asns.len() as u8];
        for a in asns {
            v.extend(a.to_be_bytes());
        }
        v
    }

    fn seq4(asns: &[u32]) -> Vec<u8> {
        let mut v = vec![2, asns.len() as u8];
        for a in asns {
            v.extend(a.to_be_bytes());
        }
        v
    }

    #[test]
    fn rejects_a_segment_running_past_the_attribute() {
        assert!(AsPathView::new(&[2, 3, 0, 1, 0, 2], 2).is_none());
        assert!(AsPathView::new(&[9, 0], 2).is_none());
    }

    #[test]
    fn merge_replaces_the_trailing_as_trans_entries() {
        let p = seq2(&[100, 23456, 23456]);
        let p4 = seq4(&[70000, 80000]);
        let m = merge(AsPathView::new(&p, 2), AsPathView::new(&p4, 4));
        assert_eq!(m.to_string(), "100 70000 80000");
    }

    #[test]
    fn merge_ignores_an_as4_path_longer_than_the_as_path() {
        let p = seq2(&[100]);
        let p4 = seq4(&[70000, 80000]);
        let m = merge(AsPathView::new(&p, 2), AsPathView::new(&p4, 4));
        assert_eq!(m.to_string(), "100");
    }

    #[test]
    fn origin_of_a_trailing_set_is_none() {
        let mut p = seq4(&[1, 2]);
        p.extend([1, 2, 0, 0, 0, 3, 0, 0, 0, 4]);
        assert_eq!(AsPathView::new(&p, 4).unwrap().origin(), None);
    }
}
