//! Point location throughput and index memory.
//!
//! Run with `cargo bench --bench locate` (release profile). Three measurements, each reported in
//! points per second:
//!
//! - `locate/demo_bbox`: the Shenyang demo grid (2,292 cells), points spread uniformly over the city's
//!   bounding box: about 57% fall in a community, 43% outside the city (the costliest case: such a point
//!   is tested against the large city and district boundaries). The split is printed before measuring.
//! - `locate/demo_level4`: the demo grid, only points that fall inside a level-4 cell (the common case of
//!   a report from the built-up area).
//! - `locate/synthetic_level4`: a regular four-level grid over the same box with 57,600 level-4 cells
//!   (about 490 m × 830 m each); every point falls inside a level-4 cell.
//!
//! Before measuring, each grid's index memory is printed: the live heap the index holds (counted by a
//! wrapping allocator) and the change in resident memory.
//! Points are drawn by a fixed linear congruential generator, so every run uses the same points.
//!
//! Time is the benchmark thread's own CPU time (Linux), so other work on the machine does not deflate
//! the figures; set `AIRGRID_BENCH_CLOCK=wall` to measure wall-clock time instead.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use airgrid::domain::crs::Crs;
use airgrid::domain::grid::{CellCode, Level};
use airgrid::grid::index::{GridIndex, IndexedCell};
use airgrid::grid::parse_geojson;
use airgrid::grid::seed::DEMO_GRID;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Shenyang's extent, as used for the synthetic grid and the sample points (WGS-84 degrees).
const WEST: f64 = 122.4;
const EAST: f64 = 123.8;
const SOUTH: f64 = 41.2;
const NORTH: f64 = 43.0;

/// Points located per measured iteration.
const BATCH: usize = 4096;

/// Counts live heap bytes while `COUNTING` is on, to measure what an index really holds.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Resident set size of this process in bytes, from /proc (0 where unavailable).
fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Builds an index and reports its memory: the live heap it holds and the RSS change.
fn measured(label: &str, build: impl FnOnce() -> GridIndex) -> GridIndex {
    let rss_before = rss_bytes();
    LIVE.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let index = build();
    COUNTING.store(false, Ordering::Relaxed);
    let live = LIVE.load(Ordering::Relaxed);
    let rss = rss_bytes() - rss_before;
    let mib = |b: f64| b / (1024.0 * 1024.0);
    println!(
        "{label}: {} cells; live heap = {:.1} MiB; RSS delta = {:.1} MiB",
        index.len(),
        mib(live as f64),
        mib(rss as f64),
    );
    index
}

fn demo_index() -> GridIndex {
    let drafts = parse_geojson(DEMO_GRID.as_bytes(), Crs::Wgs84, usize::MAX).expect("the demo grid parses");
    GridIndex::new(drafts.into_iter().map(IndexedCell::from).collect())
}

/// A closed rectangular ring with each side cut into `per_side` segments, so cells carry about as many
/// vertices as real boundaries of their level do.
fn rectangle(x0: f64, y0: f64, x1: f64, y1: f64, per_side: usize) -> MultiPolygon<f64> {
    let step = |a: f64, b: f64, i: usize| a + (b - a) * i as f64 / per_side as f64;
    let mut coords = Vec::with_capacity(4 * per_side + 1);
    coords.extend((0..per_side).map(|i| Coord { x: step(x0, x1, i), y: y0 }));
    coords.extend((0..per_side).map(|i| Coord { x: x1, y: step(y0, y1, i) }));
    coords.extend((0..per_side).map(|i| Coord { x: step(x1, x0, i), y: y1 }));
    coords.extend((0..per_side).map(|i| Coord { x: x0, y: step(y1, y0, i) }));
    coords.push(Coord { x: x0, y: y0 });
    MultiPolygon::new(vec![Polygon::new(LineString::new(coords), vec![])])
}

/// A regular four-level grid over the city's box: 1 city (1,200 vertices), 4 × 4 districts, 6 × 6
/// streets in each (576) and 10 × 10 communities in each street (57,600, 8 vertices each).
fn synthetic_cells() -> Vec<IndexedCell> {
    const DISTRICTS: usize = 4;
    const STREETS: usize = 6;
    const COMMUNITIES: usize = 10;
    fn cell(code: String, level: i64, parent: Option<&CellCode>, shape: MultiPolygon<f64>) -> IndexedCell {
        IndexedCell {
            name: format!("cell {code}"),
            code: CellCode::parse(&code).expect("a valid code"),
            level: Level::try_from(level).expect("a valid level"),
            parent: parent.cloned(),
            shape,
        }
    }
    /// Splits the box `[x0, y0, x1, y1]` into `n × n` parts, yielding (column, row, part's box).
    fn split(b: [f64; 4], n: usize) -> impl Iterator<Item = (usize, usize, [f64; 4])> {
        let (w, h) = ((b[2] - b[0]) / n as f64, (b[3] - b[1]) / n as f64);
        (0..n * n).map(move |k| {
            let (i, j) = (k % n, k / n);
            let x0 = b[0] + w * i as f64;
            let y0 = b[1] + h * j as f64;
            // The last part ends exactly on the outer edge, so children tile their parent.
            let x1 = if i + 1 == n { b[2] } else { x0 + w };
            let y1 = if j + 1 == n { b[3] } else { y0 + h };
            (i, j, [x0, y0, x1, y1])
        })
    }

    let city_box = [WEST, SOUTH, EAST, NORTH];
    let city = cell("C".into(), 1, None, rectangle(WEST, SOUTH, EAST, NORTH, 300));
    let mut cells = Vec::with_capacity(1 + 16 + 576 + 57_600);
    for (di, dj, d) in split(city_box, DISTRICTS) {
        let district = cell(format!("D{di}{dj}"), 2, Some(&city.code), rectangle(d[0], d[1], d[2], d[3], 32));
        for (si, sj, s) in split(d, STREETS) {
            let street = cell(
                format!("{}S{si}{sj}", district.code),
                3,
                Some(&district.code),
                rectangle(s[0], s[1], s[2], s[3], 6),
            );
            for (ci, cj, c) in split(s, COMMUNITIES) {
                let code = format!("{}Q{ci}{cj}", street.code);
                cells.push(cell(code, 4, Some(&street.code), rectangle(c[0], c[1], c[2], c[3], 2)));
            }
            cells.push(street);
        }
        cells.push(district);
    }
    cells.push(city);
    cells
}

/// Deterministic points spread uniformly over the city's box (64-bit LCG, Knuth's MMIX constants).
fn points(count: usize, seed: u64) -> impl Iterator<Item = (f64, f64)> {
    let mut state = seed;
    let mut unit = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    std::iter::repeat_with(move || (WEST + (EAST - WEST) * unit(), SOUTH + (NORTH - SOUTH) * unit())).take(count)
}

/// How the sample points fall: per deepest level found (index 0 = outside every cell).
fn describe(label: &str, index: &GridIndex, sample: &[(f64, f64)]) {
    let mut by_level = [0usize; 5];
    for &(lon, lat) in sample {
        by_level[index.deepest(lon, lat).map_or(0, |c| c.level.get() as usize)] += 1;
    }
    let share = |n: usize| 100.0 * n as f64 / sample.len() as f64;
    println!(
        "{label}: {} points; deepest level 4: {:.1}%, 3: {:.1}%, 2: {:.1}%, 1: {:.1}%, outside: {:.1}%",
        sample.len(),
        share(by_level[4]),
        share(by_level[3]),
        share(by_level[2]),
        share(by_level[1]),
        share(by_level[0]),
    );
}

fn locate_all(index: &GridIndex, sample: &[(f64, f64)]) -> usize {
    sample.iter().map(|&(lon, lat)| index.locate(black_box(lon), black_box(lat)).len()).sum()
}

/// CPU time consumed so far by the calling thread.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec laid out as the C library expects on 64-bit Linux.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Runs `routine` `iters` times and returns the thread CPU time it took (or wall time, see above).
fn timed(iters: u64, wall: bool, mut routine: impl FnMut() -> usize) -> Duration {
    let cpu_start = if wall { None } else { thread_cpu_time() };
    let wall_start = Instant::now();
    for _ in 0..iters {
        black_box(routine());
    }
    match (cpu_start, thread_cpu_time()) {
        (Some(start), Some(end)) => end - start,
        _ => wall_start.elapsed(),
    }
}

fn bench_locate(c: &mut Criterion) {
    let demo = measured("demo grid", demo_index);
    let synthetic = measured("synthetic grid", || GridIndex::new(synthetic_cells()));

    let demo_bbox: Vec<(f64, f64)> = points(BATCH, 1).collect();
    let demo_level4: Vec<(f64, f64)> = points(usize::MAX, 2)
        .filter(|&(lon, lat)| demo.deepest(lon, lat).is_some_and(|cell| cell.level == Level::DEEPEST))
        .take(BATCH)
        .collect();
    let synthetic_level4: Vec<(f64, f64)> = points(BATCH, 3).collect();
    describe("demo_bbox", &demo, &demo_bbox);
    describe("demo_level4", &demo, &demo_level4);
    describe("synthetic_level4", &synthetic, &synthetic_level4);

    let wall = std::env::var("AIRGRID_BENCH_CLOCK").is_ok_and(|v| v == "wall");
    println!("clock: {}", if wall || thread_cpu_time().is_none() { "wall time" } else { "thread CPU time" });
    let mut group = c.benchmark_group("locate");
    group.throughput(Throughput::Elements(BATCH as u64));
    let cases = [
        ("demo_bbox", &demo, &demo_bbox),
        ("demo_level4", &demo, &demo_level4),
        ("synthetic_level4", &synthetic, &synthetic_level4),
    ];
    for (name, index, sample) in cases {
        group.bench_function(name, |b| b.iter_custom(|iters| timed(iters, wall, || locate_all(index, sample))));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5));
    targets = bench_locate
}
criterion_main!(benches);
