//! The MRT common header (RFC 6396 section 2) and the type and subtype code points.

/// MRT type codes (RFC 6396 section 4, deprecated types from section B).
pub mod mrt_type {
    pub const OSPF_V2: u16 = 11;
    pub const TABLE_DUMP: u16 = 12;
    pub const TABLE_DUMP_V2: u16 = 13;
    pub const BGP4MP: u16 = 16;
    pub const BGP4MP_ET: u16 = 17;
    pub const ISIS: u16 = 32;
    pub const ISIS_ET: u16 = 33;
    pub const OSPF_V3: u16 = 48;
    pub const OSPF_V3_ET: u16 = 49;

    /// True for the types RFC 6396 defines that occur in real dumps: the current ones and the
    /// deprecated BGP types 5, 9 and 10 of the old MRT toolkit. A header with any other type
    /// is taken as a sign of damage (deprecated types 0-4 and 6-8, NULL, START, DIE, I_AM_DEAD,
    /// PEER_DOWN, RIP, IDRP and RIPNG, are not in any public archive, and admitting them would
    /// let small numbers in damaged headers pass as types).
    pub const fn is_defined(t: u16) -> bool {
        matches!(t, 5 | 9..=13 | 16 | 17 | 32 | 33 | 48 | 49)
    }

    /// True for the `_ET` types whose body starts with a 4-byte microseconds field.
    pub const fn is_extended_time(t: u16) -> bool {
        matches!(t, BGP4MP_ET | ISIS_ET | OSPF_V3_ET)
    }
}

/// TABLE_DUMP_V2 subtypes (RFC 6396 4.3, RFC 8050).
pub mod tdv2 {
    pub const PEER_INDEX_TABLE: u16 = 1;
    pub const RIB_IPV4_UNICAST: u16 = 2;
    pub const RIB_IPV4_MULTICAST: u16 = 3;
    pub const RIB_IPV6_UNICAST: u16 = 4;
    pub const RIB_IPV6_MULTICAST: u16 = 5;
    pub const RIB_GENERIC: u16 = 6;
    pub const GEO_PEER_TABLE: u16 = 7;
    pub const RIB_IPV4_UNICAST_ADDPATH: u16 = 8;
    pub const RIB_IPV4_MULTICAST_ADDPATH: u16 = 9;
    pub const RIB_IPV6_UNICAST_ADDPATH: u16 = 10;
    pub const RIB_IPV6_MULTICAST_ADDPATH: u16 = 11;
    pub const RIB_GENERIC_ADDPATH: u16 = 12;
}

/// BGP4MP and BGP4MP_ET subtypes (RFC 6396 4.4, RFC 8050).
pub mod bgp4mp {
    pub const STATE_CHANGE: u16 = 0;
    pub const MESSAGE: u16 = 1;
    pub const ENTRY: u16 = 2;
    pub const SNAPSHOT: u16 = 3;
    pub const MESSAGE_AS4: u16 = 4;
    pub const STATE_CHANGE_AS4: u16 = 5;
    pub const MESSAGE_LOCAL: u16 = 6;
    pub const MESSAGE_AS4_LOCAL: u16 = 7;
    pub const MESSAGE_ADDPATH: u16 = 8;
    pub const MESSAGE_AS4_ADDPATH: u16 = 9;
    pub const MESSAGE_LOCAL_ADDPATH: u16 = 10;
    pub const MESSAGE_AS4_LOCAL_ADDPATH: u16 = 11;
}

/// Length of the common header.
pub const HEADER_LEN: usize = 12;

/// The MRT common header of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Seconds since the epoch.
    pub timestamp: u32,
    pub mrt_type: u16,
    pub subtype: u16,
    /// Length of the body after the 12-byte header (for `_ET` types it includes the 4-byte
    /// microsecond field).
    pub length: u32,
}

impl Header {
    /// Reads a header from the first 12 bytes of `b` (the caller checks the length).
    pub fn parse(b: &[u8; HEADER_LEN]) -> Header {
        Header {
            timestamp: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            mrt_type: u16::from_be_bytes([b[4], b[5]]),
            subtype: u16::from_be_bytes([b[6], b[7]]),
            length: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        }
    }

    /// A readable name for the type, for statistics.
    pub fn type_name(&self) -> &'static str {
        match self.mrt_type {
            mrt_type::OSPF_V2 => "OSPFv2",
            mrt_type::TABLE_DUMP => "TABLE_DUMP",
            mrt_type::TABLE_DUMP_V2 => "TABLE_DUMP_V2",
            mrt_type::BGP4MP => "BGP4MP",
            mrt_type::BGP4MP_ET => "BGP4MP_ET",
            mrt_type::ISIS => "ISIS",
            mrt_type::ISIS_ET => "ISIS_ET",
            mrt_type::OSPF_V3 => "OSPFv3",
            mrt_type::OSPF_V3_ET => "OSPFv3_ET",
            0..=10 => "DEPRECATED",
            _ => "UNKNOWN",
        }
    }

    /// A readable name for the subtype, for statistics.
    pub fn subtype_name(&self) -> &'static str {
        match self.mrt_type {
            mrt_type::TABLE_DUMP => match self.subtype {
                1 => "AFI_IPv4",
                2 => "AFI_IPv6",
                _ => "UNKNOWN",
            },
            mrt_type::TABLE_DUMP_V2 => match self.subtype {
                tdv2::PEER_INDEX_TABLE => "PEER_INDEX_TABLE",
                tdv2::RIB_IPV4_UNICAST => "RIB_IPV4_UNICAST",
                tdv2::RIB_IPV4_MULTICAST => "RIB_IPV4_MULTICAST",
                tdv2::RIB_IPV6_UNICAST => "RIB_IPV6_UNICAST",
                tdv2::RIB_IPV6_MULTICAST => "RIB_IPV6_MULTICAST",
                tdv2::RIB_GENERIC => "RIB_GENERIC",
                tdv2::GEO_PEER_TABLE => "GEO_PEER_TABLE",
                tdv2::RIB_IPV4_UNICAST_ADDPATH => "RIB_IPV4_UNICAST_ADDPATH",
                tdv2::RIB_IPV4_MULTICAST_ADDPATH => "RIB_IPV4_MULTICAST_ADDPATH",
                tdv2::RIB_IPV6_UNICAST_ADDPATH => "RIB_IPV6_UNICAST_ADDPATH",
                tdv2::RIB_IPV6_MULTICAST_ADDPATH => "RIB_IPV6_MULTICAST_ADDPATH",
                tdv2::RIB_GENERIC_ADDPATH => "RIB_GENERIC_ADDPATH",
                _ => "UNKNOWN",
            },
            mrt_type::BGP4MP | mrt_type::BGP4MP_ET => match self.subtype {
                bgp4mp::STATE_CHANGE => "STATE_CHANGE",
                bgp4mp::MESSAGE => "MESSAGE",
                bgp4mp::ENTRY => "ENTRY",
                bgp4mp::SNAPSHOT => "SNAPSHOT",
                bgp4mp::MESSAGE_AS4 => "MESSAGE_AS4",
                bgp4mp::STATE_CHANGE_AS4 => "STATE_CHANGE_AS4",
                bgp4mp::MESSAGE_LOCAL => "MESSAGE_LOCAL",
                bgp4mp::MESSAGE_AS4_LOCAL => "MESSAGE_AS4_LOCAL",
                bgp4mp::MESSAGE_ADDPATH => "MESSAGE_ADDPATH",
                bgp4mp::MESSAGE_AS4_ADDPATH => "MESSAGE_AS4_ADDPATH",
                bgp4mp::MESSAGE_LOCAL_ADDPATH => "MESSAGE_LOCAL_ADDPATH",
                bgp4mp::MESSAGE_AS4_LOCAL_ADDPATH => "MESSAGE_AS4_LOCAL_ADDPATH",
                _ => "UNKNOWN",
            },
            _ => "-",
        }
    }
}
