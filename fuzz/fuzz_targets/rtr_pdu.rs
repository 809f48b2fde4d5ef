//! Fuzz target for the RTR PDU decoder: a byte stream decoded PDU by PDU, as a server or client
//! reads it off a socket; every decoded PDU must re-encode to bytes that decode to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routenorms_rpki::rtr::Pdu;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((pdu, used))) = Pdu::decode(rest) {
        assert!(used > 0 && used <= rest.len());
        let again = Pdu::decode(&pdu.to_bytes()).expect("re-encoded PDU decodes");
        assert_eq!(again.map(|(p, _)| p), Some(pdu.clone()));
        let _ = (pdu.to_vrp(), pdu.to_aspa());
        rest = &rest[used..];
    }
});
