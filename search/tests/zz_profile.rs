use std::time::Instant;
use search::registry::Registry;
#[test]
#[ignore]
fn profile() {
    let text = std::fs::read_to_string("/work/shared/data/fhir-r4/examples/Observation-example.json").unwrap();
    let obs: serde_json::Value = serde_json::from_str(&text).unwrap();
    let _ = search::extract(&obs);
    let mut rows = vec![];
    for p in Registry::r4().for_type("Observation") {
        let mut out = vec![];
        let start = Instant::now();
        for _ in 0..2000 { out.clear(); search::extract::param_values(p, &obs, &mut out); }
        rows.push((start.elapsed().as_nanos() / 2000, p.code.clone(), out.len()));
    }
    rows.sort();
    for r in rows.iter().rev().take(15) { println!("{:?}", r); }
    println!("sum {}", rows.iter().map(|r| r.0).sum::<u128>());
    let start = Instant::now();
    for _ in 0..20000 { std::hint::black_box(search::normalize("Body weight Measured")); }
    println!("normalize {:?}", start.elapsed() / 20000);
}
