mod fixture;
#[test]
fn scratch() {
    let b = fixture::binder();
    let t = std::time::Instant::now();
    let r = recert_evidence::render_all(&b).unwrap();
    eprintln!("render {:?}", t.elapsed());
    std::fs::write("/tmp/ev/binder.pdf", &r.pdf).unwrap();
    std::fs::write("/tmp/ev/decisions.csv", &r.decisions_csv).unwrap();
    std::fs::write("/tmp/ev/binder.json", &r.json).unwrap();
    let big = fixture::synthetic(5000);
    let t = std::time::Instant::now();
    let r = recert_evidence::binder_pdf(&big).unwrap();
    eprintln!("render 5000 {:?}", t.elapsed());
    std::fs::write("/tmp/ev/big.pdf", &r).unwrap();
}
#[test]
fn scratch_big() {
    let big = fixture::synthetic(5000);
    let r = recert_evidence::binder_pdf(&big).unwrap();
    std::fs::write("/tmp/ev/big.pdf", &r).unwrap();
}
