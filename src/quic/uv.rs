//! QUIC on the JS thread: a quinn runtime driven by the event loop (libuv) of the thread
//! that created the endpoint.
//!
//! quinn's endpoint and connection drivers, and the tasks of this binding that wait on
//! them, run as futures on a small executor owned by the JS thread. Socket readiness comes
//! from `uv_poll` handles, timers from one `uv_timer`, and tasks woken while JS runs are
//! polled in a `uv_check` callback (an idle handle keeps the poll phase from blocking
//! meanwhile). Results reach JS by calling the endpoint's event function directly, in a
//! callback scope, after each pass over the ready tasks: a 1 KiB request and its answer
//! cross no thread at all (with a tokio worker they crossed threads four times per round
//! trip, docs/quic.md).
//!
//! Only the JS thread touches libuv handles. Wakers may still fire on other threads (they
//! queue the task and `uv_async_send`); anything else that must happen on the loop thread
//! from elsewhere goes through [`Reactor::on_loop`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::ffi::{c_int, c_void};
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use ghostkit::quic::quinn::udp::{RecvMeta, Transmit, UdpSocketState};
use ghostkit::quic::quinn::{AsyncTimer, AsyncUdpSocket, Runtime, UdpPoller};
use napi::sys;

// ---- libuv (exported by the Node binary, like N-API itself) ----------------------------

type Handle = *mut c_void;
type Loop = *mut sys::uv_loop_s;

const UV_ASYNC: c_int = 1;
const UV_CHECK: c_int = 2;
const UV_IDLE: c_int = 6;
const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
const UV_READABLE: c_int = 1;
const UV_WRITABLE: c_int = 2;

type Callback = unsafe extern "C" fn(Handle);
type PollCallback = unsafe extern "C" fn(Handle, c_int, c_int);

unsafe extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_handle_get_type(handle: Handle) -> c_int;
    fn uv_handle_set_data(handle: Handle, data: *mut c_void);
    fn uv_handle_get_data(handle: Handle) -> *mut c_void;
    fn uv_close(handle: Handle, close_cb: Option<Callback>);
    fn uv_ref(handle: Handle);
    fn uv_unref(handle: Handle);
    fn uv_update_time(event_loop: Loop);
    fn uv_async_init(event_loop: Loop, handle: Handle, cb: Callback) -> c_int;
    fn uv_async_send(handle: Handle) -> c_int;
    fn uv_check_init(event_loop: Loop, handle: Handle) -> c_int;
    fn uv_check_start(handle: Handle, cb: Callback) -> c_int;
    fn uv_idle_init(event_loop: Loop, handle: Handle) -> c_int;
    fn uv_idle_start(handle: Handle, cb: Callback) -> c_int;
    fn uv_idle_stop(handle: Handle) -> c_int;
    fn uv_timer_init(event_loop: Loop, handle: Handle) -> c_int;
    fn uv_timer_start(handle: Handle, cb: Callback, timeout: u64, repeat: u64) -> c_int;
    fn uv_timer_stop(handle: Handle) -> c_int;
    fn uv_poll_init(event_loop: Loop, handle: Handle, fd: c_int) -> c_int;
    fn uv_poll_start(handle: Handle, events: c_int, cb: PollCallback) -> c_int;
}

fn handle_layout(kind: c_int) -> std::alloc::Layout {
    // SAFETY: uv_handle_size is a pure lookup of the handle struct sizes.
    let size = unsafe { uv_handle_size(kind) };
    std::alloc::Layout::from_size_align(size.max(1), 16).expect("libuv handle sizes are small")
}

/// Allocates a zeroed handle of `kind`; freed by [`close_handle`].
fn alloc_handle(kind: c_int) -> Handle {
    // SAFETY: the layout has a non-zero size.
    let handle = unsafe { std::alloc::alloc_zeroed(handle_layout(kind)) };
    if handle.is_null() {
        std::alloc::handle_alloc_error(handle_layout(kind));
    }
    handle.cast()
}

unsafe extern "C" fn free_handle(handle: Handle) {
    // SAFETY: `handle` came from `alloc_handle` with the layout of its type.
    unsafe {
        let layout = handle_layout(uv_handle_get_type(handle));
        std::alloc::dealloc(handle.cast(), layout);
    }
}

/// Closes an initialised handle and frees it once libuv is done with it.
///
/// # Safety
/// On the loop thread, for a handle from [`alloc_handle`] that was initialised.
unsafe fn close_handle(handle: Handle) {
    unsafe { uv_close(handle, Some(free_handle)) };
}

fn check(status: c_int, what: &str) -> io::Result<()> {
    if status < 0 {
        Err(io::Error::other(format!("libuv {what} failed ({status})")))
    } else {
        Ok(())
    }
}

/// A raw pointer that crosses threads only to be used back on the loop thread.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Raw(Handle);
// SAFETY: the pointer is only dereferenced (by libuv) on the loop thread, or handed to
// uv_async_send, which is thread-safe.
unsafe impl Send for Raw {}
// SAFETY: as above.
unsafe impl Sync for Raw {}

// ---- the reactor: what other threads may reach -------------------------------------------

type Task = Arc<TaskCell>;
type Deferred = Box<dyn FnOnce() + Send>;

/// The part of a loop's state any thread may touch: the ready queue and the wake-up handle.
pub(crate) struct Reactor {
    thread: ThreadId,
    ready: Mutex<VecDeque<Task>>,
    deferred: Mutex<Vec<Deferred>>,
    /// The `uv_async` handle; null once the environment was torn down.
    wake: Mutex<Raw>,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Reactor {
    pub(crate) fn on_loop_thread(&self) -> bool {
        THIS_REACTOR.with(|r| std::ptr::eq(r.get(), self))
    }

    /// Runs `f` on the loop thread: now when called there, else at the next wake-up. After
    /// the environment was torn down, `f` is dropped without running.
    pub(crate) fn on_loop(&self, f: impl FnOnce() + Send + 'static) {
        if self.on_loop_thread() {
            f();
        } else {
            lock(&self.deferred).push(Box::new(f));
            self.kick_remote();
        }
    }

    fn kick_remote(&self) {
        let wake = lock(&self.wake);
        if !wake.0.is_null() {
            // SAFETY: an initialised async handle; uv_async_send is thread-safe, and the
            // lock keeps the cleanup hook from closing it meanwhile.
            unsafe { uv_async_send(wake.0) };
        }
    }

    fn schedule(&self, task: Task) {
        if task.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        lock(&self.ready).push_back(task);
        if self.on_loop_thread() {
            LOCAL.with(|local| {
                if let Some(local) = local.borrow().as_ref() {
                    local.need_pass();
                }
            });
        } else {
            self.kick_remote();
        }
    }

    /// Starts `future` on the loop.
    pub(crate) fn spawn(self: &Arc<Self>, future: impl Future<Output = ()> + Send + 'static) {
        self.schedule(Arc::new(TaskCell {
            future: Mutex::new(Some(Box::pin(future))),
            queued: AtomicBool::new(false),
            reactor: self.clone(),
        }));
    }
}

struct TaskCell {
    future: Mutex<Option<Pin<Box<dyn Future<Output = ()> + Send>>>>,
    queued: AtomicBool,
    reactor: Arc<Reactor>,
}

impl Wake for TaskCell {
    fn wake(self: Arc<Self>) {
        let reactor = self.reactor.clone();
        reactor.schedule(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.reactor.schedule(self.clone());
    }
}

// ---- the loop thread's state ---------------------------------------------------------------

/// A call into JS, made by [`Local::flush`] inside a handle scope.
type Event = Box<dyn FnOnce(sys::napi_env)>;

struct Local {
    reactor: Arc<Reactor>,
    env: sys::napi_env,
    event_loop: Loop,
    check: Handle,
    idle: Handle,
    timer: Handle,
    wake: Handle,
    async_context: sys::napi_async_context,
    resource: sys::napi_ref,
    idle_on: Cell<bool>,
    running: Cell<bool>,
    /// The tasks of the pass being run (kept between runs for its capacity).
    batch: Cell<VecDeque<Task>>,
    /// Deadline → waker of every pending timer (ties broken by a serial number).
    timers: RefCell<BTreeMap<(Instant, u64), Waker>>,
    next_timer: Cell<u64>,
    armed: Cell<Option<Instant>>,
    events: RefCell<Vec<Event>>,
    /// Endpoints that keep the process alive.
    referenced: Cell<usize>,
    /// Poll handles of open sockets (closed by the cleanup hook if still open).
    sockets: RefCell<Vec<Arc<PollState>>>,
    /// The Buffer small chunks of data are copied into.
    slab: RefCell<Slab>,
}

/// A JS Buffer filled front to back with chunks of data; JS gets slices of it. A new one
/// replaces it when full (the old one lives on in the slices JS still holds).
struct Slab {
    buffer: sys::napi_ref,
    data: *mut u8,
    size: usize,
    used: usize,
}

/// Chunks up to this size go into the slab; larger ones get a Buffer of their own.
pub(crate) const SLAB_CHUNK_MAX: usize = 16 << 10;
const SLAB_SIZE: usize = 256 << 10;

thread_local! {
    static LOCAL: RefCell<Option<Rc<Local>>> = const { RefCell::new(None) };
    /// The reactor whose loop runs on this thread (null on other threads).
    static THIS_REACTOR: Cell<*const Reactor> = const { Cell::new(std::ptr::null()) };
}

fn local() -> Option<Rc<Local>> {
    LOCAL.with(|l| l.borrow().clone())
}

/// Tasks polled per pass before JS gets the events and libuv its turn.
const PASSES: usize = 16;
/// Time after which a run stops starting passes (the rest continues next loop iteration).
const RUN_TIME: Duration = Duration::from_millis(2);

impl Local {
    /// Makes sure a pass happens soon: now if a run is active, else after this loop phase.
    fn need_pass(&self) {
        if !self.running.get() && !self.idle_on.get() {
            self.idle_on.set(true);
            // SAFETY: the idle handle is initialised and we are on the loop thread.
            unsafe { uv_idle_start(self.idle, noop_cb) };
        }
    }

    /// Polls ready tasks and hands their events to JS until nothing is ready (or the run
    /// used its share of time).
    fn run(&self) {
        if self.running.replace(true) {
            return;
        }
        let started = Instant::now();
        let mut batch = self.batch.take();
        for _ in 0..PASSES {
            // Swapped, not taken: both queues keep their capacity (no allocation per pass).
            std::mem::swap(&mut batch, &mut *lock(&self.reactor.ready));
            for task in batch.drain(..) {
                task.queued.store(false, Ordering::Release);
                let waker = Waker::from(task.clone());
                let mut context = Context::from_waker(&waker);
                let mut slot = lock(&task.future);
                if let Some(future) = slot.as_mut() {
                    // A panic ends that task only (its state is dropped), never the process.
                    let done = catch_unwind(AssertUnwindSafe(|| {
                        future.as_mut().poll(&mut context).is_ready()
                    }))
                    .unwrap_or(true);
                    if done {
                        *slot = None;
                    }
                }
            }
            self.flush();
            if lock(&self.reactor.ready).is_empty() || started.elapsed() > RUN_TIME {
                break;
            }
        }
        self.batch.set(batch);
        self.running.set(false);
        let more = !lock(&self.reactor.ready).is_empty();
        if more != self.idle_on.get() {
            self.idle_on.set(more);
            // SAFETY: initialised handle, loop thread.
            unsafe {
                if more {
                    uv_idle_start(self.idle, noop_cb);
                } else {
                    uv_idle_stop(self.idle);
                }
            }
        }
        self.arm_timer();
    }

    /// Calls JS with the queued events, in order, inside one callback scope (so promise
    /// jobs and `process.nextTick` callbacks run after them, as after any I/O callback).
    fn flush(&self) {
        loop {
            let events = std::mem::take(&mut *self.events.borrow_mut());
            if events.is_empty() {
                return;
            }
            let env = self.env;
            // SAFETY: loop thread, outside any JS frame (runs only from libuv callbacks).
            unsafe {
                let mut scope = std::ptr::null_mut();
                sys::napi_open_handle_scope(env, &mut scope);
                let mut resource = std::ptr::null_mut();
                sys::napi_get_reference_value(env, self.resource, &mut resource);
                let mut callback_scope = std::ptr::null_mut();
                sys::napi_open_callback_scope(
                    env,
                    resource,
                    self.async_context,
                    &mut callback_scope,
                );
                for event in events {
                    let mut inner = std::ptr::null_mut();
                    sys::napi_open_handle_scope(env, &mut inner);
                    event(env);
                    let mut pending = false;
                    sys::napi_is_exception_pending(env, &mut pending);
                    if pending {
                        // Thrown by a listener: the process's uncaught-exception path, as
                        // for an exception in any I/O callback.
                        let mut error = std::ptr::null_mut();
                        sys::napi_get_and_clear_last_exception(env, &mut error);
                        sys::napi_fatal_exception(env, error);
                    }
                    sys::napi_close_handle_scope(env, inner);
                }
                sys::napi_close_callback_scope(env, callback_scope);
                sys::napi_close_handle_scope(env, scope);
            }
        }
    }

    fn arm_timer(&self) {
        let first = self.timers.borrow().keys().next().map(|(at, _)| *at);
        if first == self.armed.get() {
            return;
        }
        self.armed.set(first);
        // SAFETY: initialised timer handle, loop thread.
        unsafe {
            match first {
                Some(at) => {
                    // libuv counts from its cached loop time: refresh it first.
                    uv_update_time(self.event_loop);
                    let wait = at.saturating_duration_since(Instant::now());
                    let ms = wait.as_micros().div_ceil(1000) as u64;
                    uv_timer_start(self.timer, timer_cb, ms, 0);
                }
                None => {
                    uv_timer_stop(self.timer);
                }
            }
        }
    }

    fn set_referenced(&self, delta: isize) {
        let before = self.referenced.get();
        let after = before.saturating_add_signed(delta);
        self.referenced.set(after);
        // SAFETY: initialised async handle, loop thread.
        unsafe {
            if before == 0 && after > 0 {
                uv_ref(self.wake);
            } else if before > 0 && after == 0 {
                uv_unref(self.wake);
            }
        }
    }
}

unsafe extern "C" fn noop_cb(_: Handle) {}

unsafe extern "C" fn check_cb(_: Handle) {
    if let Some(local) = local()
        && (local.idle_on.get() || !local.events.borrow().is_empty())
    {
        local.run();
    }
}

unsafe extern "C" fn wake_cb(_: Handle) {
    if let Some(local) = local() {
        let deferred = std::mem::take(&mut *lock(&local.reactor.deferred));
        for f in deferred {
            f();
        }
        local.run();
    }
}

unsafe extern "C" fn timer_cb(_: Handle) {
    let Some(local) = local() else { return };
    local.armed.set(None);
    let now = Instant::now();
    let due: Vec<Waker> = {
        let mut timers = local.timers.borrow_mut();
        let later = timers.split_off(&(now, u64::MAX));
        std::mem::replace(&mut *timers, later)
            .into_values()
            .collect()
    };
    for waker in due {
        waker.wake();
    }
    local.run();
}

/// Sets up the loop state of this thread (once per JS thread).
fn init(env: sys::napi_env) -> napi::Result<Rc<Local>> {
    if let Some(local) = local() {
        return Ok(local);
    }
    let fail = |what: &str| napi::Error::from_reason(format!("QUIC event loop: {what} failed"));
    // SAFETY: called from a napi call on the JS thread with its env.
    unsafe {
        let mut event_loop = std::ptr::null_mut();
        if sys::napi_get_uv_event_loop(env, &mut event_loop) != sys::Status::napi_ok {
            return Err(fail("napi_get_uv_event_loop"));
        }
        let mut resource = std::ptr::null_mut();
        sys::napi_create_object(env, &mut resource);
        let mut resource_ref = std::ptr::null_mut();
        sys::napi_create_reference(env, resource, 1, &mut resource_ref);
        let mut name = std::ptr::null_mut();
        sys::napi_create_string_utf8(env, c"ghostkit.quic".as_ptr(), 13, &mut name);
        let mut async_context = std::ptr::null_mut();
        if sys::napi_async_init(env, resource, name, &mut async_context) != sys::Status::napi_ok {
            return Err(fail("napi_async_init"));
        }
        let check = alloc_handle(UV_CHECK);
        let idle = alloc_handle(UV_IDLE);
        let timer = alloc_handle(UV_TIMER);
        let wake = alloc_handle(UV_ASYNC);
        uv_check_init(event_loop, check);
        uv_check_start(check, check_cb);
        uv_unref(check);
        uv_idle_init(event_loop, idle);
        uv_unref(idle);
        uv_timer_init(event_loop, timer);
        uv_unref(timer);
        uv_async_init(event_loop, wake, wake_cb);
        uv_unref(wake);
        let local = Rc::new(Local {
            reactor: Arc::new(Reactor {
                thread: thread::current().id(),
                ready: Mutex::new(VecDeque::new()),
                deferred: Mutex::new(Vec::new()),
                wake: Mutex::new(Raw(wake)),
            }),
            env,
            event_loop,
            check,
            idle,
            timer,
            wake,
            async_context,
            resource: resource_ref,
            idle_on: Cell::new(false),
            running: Cell::new(false),
            batch: Cell::new(VecDeque::new()),
            timers: RefCell::new(BTreeMap::new()),
            next_timer: Cell::new(0),
            armed: Cell::new(None),
            events: RefCell::new(Vec::new()),
            referenced: Cell::new(0),
            sockets: RefCell::new(Vec::new()),
            slab: RefCell::new(Slab {
                buffer: std::ptr::null_mut(),
                data: std::ptr::null_mut(),
                size: 0,
                used: 0,
            }),
        });
        LOCAL.with(|l| *l.borrow_mut() = Some(local.clone()));
        THIS_REACTOR.with(|r| r.set(Arc::as_ptr(&local.reactor)));
        sys::napi_add_env_cleanup_hook(env, Some(cleanup), std::ptr::null_mut());
        Ok(local)
    }
}

/// The environment is going away (worker exit, process exit): close every handle so the
/// loop can close, and forget the state (tasks still queued are dropped).
unsafe extern "C" fn cleanup(_: *mut c_void) {
    let Some(local) = LOCAL.with(|l| l.borrow_mut().take()) else {
        return;
    };
    THIS_REACTOR.with(|r| r.set(std::ptr::null()));
    *lock(&local.reactor.wake) = Raw(std::ptr::null_mut());
    // SAFETY: loop thread; every handle was initialised in `init`.
    unsafe {
        for socket in local.sockets.borrow_mut().drain(..) {
            socket.close();
        }
        close_handle(local.check);
        close_handle(local.idle);
        close_handle(local.timer);
        close_handle(local.wake);
        let slab = local.slab.borrow();
        if !slab.buffer.is_null() {
            sys::napi_delete_reference(local.env, slab.buffer);
        }
        drop(slab);
        sys::napi_async_destroy(local.env, local.async_context);
        sys::napi_delete_reference(local.env, local.resource);
    }
    lock(&local.reactor.ready).clear();
    lock(&local.reactor.deferred).clear();
    local.timers.borrow_mut().clear();
    local.events.borrow_mut().clear();
}

/// The reactor of this JS thread, set up on first use.
pub(crate) fn reactor(env: sys::napi_env) -> napi::Result<Arc<Reactor>> {
    Ok(init(env)?.reactor.clone())
}

/// Queues a call into JS, made after the current pass over the ready tasks (dropped when
/// the environment is gone). Call on the loop thread.
pub(crate) fn emit(event: impl FnOnce(sys::napi_env) + 'static) {
    if let Some(local) = local() {
        local.events.borrow_mut().push(Box::new(event));
        local.need_pass();
    }
}

/// Copies `chunks` (`total` ≤ [`SLAB_CHUNK_MAX`] bytes) into the slab: the slab Buffer and
/// the slice's start and end, or `None` when no slab can be allocated.
///
/// # Safety
/// On the loop thread, inside a handle scope of its env.
pub(crate) unsafe fn slab_copy(
    env: sys::napi_env,
    chunks: &[bytes::Bytes],
    total: usize,
) -> Option<(sys::napi_value, usize, usize)> {
    let local = local()?;
    let mut slab = local.slab.borrow_mut();
    // SAFETY: loop thread and handle scope (the caller's contract).
    unsafe {
        if slab.buffer.is_null() || slab.size - slab.used < total {
            let mut value = std::ptr::null_mut();
            let mut data = std::ptr::null_mut();
            if sys::napi_create_buffer(env, SLAB_SIZE, &mut data, &mut value)
                != sys::Status::napi_ok
            {
                return None;
            }
            let mut reference = std::ptr::null_mut();
            sys::napi_create_reference(env, value, 1, &mut reference);
            if !slab.buffer.is_null() {
                sys::napi_delete_reference(env, slab.buffer);
            }
            *slab = Slab {
                buffer: reference,
                data: data.cast(),
                size: SLAB_SIZE,
                used: 0,
            };
        }
        let start = slab.used;
        super::sink::copy_chunks(slab.data.add(start), chunks);
        // The next slice starts 8-byte aligned (for typed-array views over it).
        slab.used = (start + total).next_multiple_of(8).min(slab.size);
        let mut value = std::ptr::null_mut();
        sys::napi_get_reference_value(env, slab.buffer, &mut value);
        Some((value, start, start + total))
    }
}

/// Whether this thread's environment is alive (its reactor set up and not torn down).
pub(crate) fn alive() -> bool {
    LOCAL.with(|l| l.borrow().is_some())
}

/// Counts an endpoint that keeps the process alive (+1) or stops doing so (-1).
pub(crate) fn keep_alive(delta: isize) {
    if let Some(local) = local() {
        local.set_referenced(delta);
    }
}

// ---- quinn's runtime ------------------------------------------------------------------------

/// quinn's runtime on this thread's event loop.
#[derive(Debug)]
pub(crate) struct LoopRuntime {
    pub(crate) reactor: Arc<Reactor>,
}

impl Runtime for LoopRuntime {
    fn new_timer(&self, at: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer {
            at,
            key: None,
            reactor: self.reactor.clone(),
        })
    }

    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.reactor.spawn(future);
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        Ok(Arc::new(Socket::new(&self.reactor, socket)?))
    }
}

struct Timer {
    at: Instant,
    key: Option<(Instant, u64)>,
    reactor: Arc<Reactor>,
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("at", &self.at).finish()
    }
}

impl Timer {
    fn unregister(&mut self) {
        if let Some(key) = self.key.take()
            && let Some(local) = local()
        {
            local.timers.borrow_mut().remove(&key);
        }
    }
}

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, at: Instant) {
        if at != self.at {
            self.unregister();
            self.at = at;
        }
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context) -> Poll<()> {
        if Instant::now() >= self.at {
            self.unregister();
            return Poll::Ready(());
        }
        let Some(local) = local() else {
            // No loop (torn down): nothing will ever fire.
            return Poll::Pending;
        };
        let key = match self.key {
            Some(key) => key,
            None => {
                let key = (self.at, local.next_timer.get());
                local.next_timer.set(key.1 + 1);
                self.key = Some(key);
                key
            }
        };
        local.timers.borrow_mut().insert(key, cx.waker().clone());
        if local.armed.get().is_none_or(|armed| self.at < armed) && !local.running.get() {
            local.arm_timer();
        }
        Poll::Pending
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if self.key.is_some() {
            if self.reactor.on_loop_thread() {
                self.unregister();
            } else if let Some(key) = self.key.take() {
                self.reactor.on_loop(move || {
                    if let Some(local) = local() {
                        local.timers.borrow_mut().remove(&key);
                    }
                });
            }
        }
    }
}

/// The wakers waiting on one socket, shared with its `uv_poll` callback.
struct PollState {
    handle: Mutex<Raw>,
    wakers: Mutex<Wakers>,
}

#[derive(Default)]
struct Wakers {
    read: Option<Waker>,
    write: Option<Waker>,
    writable_interest: bool,
    /// The last send found the socket buffer full; cleared when libuv reports writable.
    blocked: bool,
    /// The last receive returned fewer datagrams than asked for: the socket was empty, so
    /// the next receive waits for libuv to report it readable instead of trying first.
    drained: bool,
}

impl PollState {
    /// Closes the poll handle (loop thread). Idempotent.
    fn close(&self) {
        let raw = std::mem::replace(&mut *lock(&self.handle), Raw(std::ptr::null_mut()));
        if !raw.0.is_null() {
            // SAFETY: an initialised poll handle, closed once; its data pointer (this
            // state) is not used after close.
            unsafe { close_handle(raw.0) };
        }
    }

    fn want_writable(&self, on: bool) {
        let handle = lock(&self.handle).0;
        if handle.is_null() {
            return;
        }
        let events = if on {
            UV_READABLE | UV_WRITABLE
        } else {
            UV_READABLE
        };
        // SAFETY: initialised poll handle, loop thread.
        unsafe { uv_poll_start(handle, events, poll_cb) };
    }
}

unsafe extern "C" fn poll_cb(handle: Handle, status: c_int, events: c_int) {
    // SAFETY: the data pointer is the `PollState` kept alive by the socket registry until
    // the handle is closed.
    let state = unsafe { &*(uv_handle_get_data(handle) as *const PollState) };
    let (read, write) = {
        let mut wakers = lock(&state.wakers);
        // An error status wakes both sides: the next recv/send reports it.
        let readable = status < 0 || events & UV_READABLE != 0;
        let writable = status < 0 || events & UV_WRITABLE != 0;
        let read = if readable { wakers.read.take() } else { None };
        let write = if writable { wakers.write.take() } else { None };
        let stop_writable = writable && wakers.writable_interest;
        if writable {
            wakers.blocked = false;
        }
        if stop_writable {
            wakers.writable_interest = false;
        }
        drop(wakers);
        if stop_writable {
            state.want_writable(false);
        }
        (read, write)
    };
    if let Some(waker) = read {
        waker.wake();
    }
    if let Some(waker) = write {
        waker.wake();
    }
    if let Some(local) = local() {
        local.run();
    }
}

/// A UDP socket polled by the event loop (quinn-udp does the sends and receives).
struct Socket {
    io: std::net::UdpSocket,
    udp: UdpSocketState,
    state: Arc<PollState>,
    reactor: Arc<Reactor>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket").field("io", &self.io).finish()
    }
}

impl Socket {
    fn new(reactor: &Arc<Reactor>, io: std::net::UdpSocket) -> io::Result<Self> {
        let Some(local) = local().filter(|_| reactor.on_loop_thread()) else {
            return Err(io::Error::other(
                "a QUIC socket is created on its event loop's thread",
            ));
        };
        io.set_nonblocking(true)?;
        let udp = UdpSocketState::new((&io).into())?;
        let handle = alloc_handle(UV_POLL);
        let state = Arc::new(PollState {
            handle: Mutex::new(Raw(handle)),
            wakers: Mutex::new(Wakers::default()),
        });
        // SAFETY: fresh handle on the loop thread; the state outlives it (registry).
        unsafe {
            if let Err(e) = check(
                uv_poll_init(local.event_loop, handle, io.as_raw_fd()),
                "uv_poll_init",
            ) {
                std::alloc::dealloc(handle.cast(), handle_layout(UV_POLL));
                return Err(e);
            }
            uv_handle_set_data(handle, Arc::as_ptr(&state) as *mut c_void);
            uv_unref(handle);
            uv_poll_start(handle, UV_READABLE, poll_cb);
        }
        local.sockets.borrow_mut().push(state.clone());
        Ok(Socket {
            io,
            udp,
            state,
            reactor: reactor.clone(),
        })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let state = self.state.clone();
        // The descriptor closes after the poll handle stopped watching it.
        let io = self.io.try_clone();
        self.reactor.on_loop(move || {
            state.close();
            if let Some(local) = local() {
                local
                    .sockets
                    .borrow_mut()
                    .retain(|s| !Arc::ptr_eq(s, &state));
            }
            drop(io);
        });
    }
}

impl AsyncUdpSocket for Socket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(Writable {
            state: self.state.clone(),
        })
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        let sent = self.udp.send((&self.io).into(), transmit);
        if matches!(&sent, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            lock(&self.state.wakers).blocked = true;
        }
        sent
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [io::IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        {
            let mut wakers = lock(&self.state.wakers);
            if std::mem::take(&mut wakers.drained) {
                // Level-triggered: data that arrived meanwhile fires the callback at once.
                wakers.read = Some(cx.waker().clone());
                return Poll::Pending;
            }
        }
        loop {
            match self.udp.recv((&self.io).into(), bufs, meta) {
                Ok(n) => {
                    if n < meta.len() {
                        lock(&self.state.wakers).drained = true;
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Level-triggered: data that arrives from now on fires the callback.
                    lock(&self.state.wakers).read = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.udp.max_gso_segments()
    }

    fn max_receive_segments(&self) -> usize {
        self.udp.gro_segments()
    }

    fn may_fragment(&self) -> bool {
        self.udp.may_fragment()
    }
}

struct Writable {
    state: Arc<PollState>,
}

impl fmt::Debug for Writable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Writable")
    }
}

impl UdpPoller for Writable {
    fn poll_writable(self: Pin<&mut Self>, cx: &mut Context) -> Poll<io::Result<()>> {
        let start = {
            let mut wakers = lock(&self.state.wakers);
            if !wakers.blocked {
                return Poll::Ready(Ok(()));
            }
            wakers.write = Some(cx.waker().clone());
            !std::mem::replace(&mut wakers.writable_interest, true)
        };
        if start {
            self.state.want_writable(true);
        }
        Poll::Pending
    }
}
