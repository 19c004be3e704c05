//! The UDP socket quinn sends through: quinn's own tokio socket, with batches kept
//! within the size one `sendmsg` can carry.
//!
//! quinn batches up to ten datagrams of one connection into a single GSO send
//! (`UDP_SEGMENT`), whatever the datagram size. A UDP send carries at most 65,507 bytes
//! (IPv4; 65,527 over IPv6) in total, so with datagrams of 8 KB and more a full batch is
//! refused by the kernel with `EMSGSIZE`, which quinn-udp treats as a lost probe: every
//! batch of large datagrams was silently lost. [`Batched`] splits such a batch into sends
//! of whole datagrams that fit.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};

/// The largest UDP payload of one send over IPv4 (65,535 − 20 IP − 8 UDP header bytes).
const MAX_SEND_BYTES: usize = 65_507;

/// quinn's socket with batches split at [`MAX_SEND_BYTES`].
pub(crate) struct Batched {
    inner: Arc<dyn AsyncUdpSocket>,
}

impl Batched {
    /// Wraps a bound socket for `runtime`.
    pub(crate) fn wrap(
        runtime: &dyn quinn::Runtime,
        socket: std::net::UdpSocket,
    ) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        Ok(Arc::new(Batched {
            inner: runtime.wrap_udp_socket(socket)?,
        }))
    }
}

impl fmt::Debug for Batched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Batched").field(&self.inner).finish()
    }
}

impl AsyncUdpSocket for Batched {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        self.inner.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        let Some(segment) = transmit.segment_size else {
            return self.inner.try_send(transmit);
        };
        if transmit.contents.len() <= MAX_SEND_BYTES || segment == 0 {
            return self.inner.try_send(transmit);
        }
        // Whole datagrams per send; one datagram on its own always fits.
        let per_send = (MAX_SEND_BYTES / segment).max(1) * segment;
        for (i, part) in transmit.contents.chunks(per_send).enumerate() {
            let sent = self.inner.try_send(&Transmit {
                destination: transmit.destination,
                ecn: transmit.ecn,
                contents: part,
                segment_size: (part.len() > segment).then_some(segment),
                src_ip: transmit.src_ip,
            });
            match sent {
                Ok(()) => {}
                // Nothing sent yet: quinn waits for the socket and retries the whole batch.
                Err(e) if i == 0 => return Err(e),
                // Part of the batch left: the rest counts as lost and is retransmitted
                // (retrying the whole batch would send the first part twice).
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [io::IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_recv(cx, bufs, meta)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.inner.max_transmit_segments()
    }

    /// quinn sizes each endpoint's receive buffer as its largest datagram (65,527 bytes
    /// here) × this × 32 receive slots: with the OS's 64 GRO segments that is 128 MiB per
    /// endpoint, reserved until the endpoint is freed (a process with a few hundred closed
    /// endpoints not yet collected could no longer `fork`). A GRO batch carries at most
    /// 64 KiB of payload, so two of the largest datagrams per slot hold any batch.
    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments().min(2)
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}
