//! Boundary validation: time to check one ring of 10,000 to 1,000,000 vertices.
//!
//! `cargo bench --bench geometry`

use airgrid::domain::geometry::{Boundary, GeometryJson};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// A regular polygon around Shenyang with `n` corners.
fn ring(n: usize) -> GeometryJson {
    let mut ring: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            vec![123.4 + 0.3 * a.cos(), 41.8 + 0.3 * a.sin()]
        })
        .collect();
    ring.push(ring[0].clone());
    GeometryJson::Polygon { coordinates: vec![ring] }
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("boundary_parse");
    group.sample_size(10);
    for n in [10_000, 100_000, 1_000_000] {
        let json = ring(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &json, |b, json| {
            b.iter(|| Boundary::parse(json, usize::MAX).expect("a valid ring"))
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
