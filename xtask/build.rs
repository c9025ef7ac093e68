//! Builds the bench's C contenders (`csrc/peers.c`) with the `cc` crate:
//! `-O3 -march=native -fopenmp` (symbols `*_strict`), the same with
//! `-ffast-math` (symbols `*_fast`, which may call glibc's vector math, libmvec),
//! and on x86-64 the fast-math build once more without AVX-512
//! (`-mno-avx512f`, symbols `*_fast_avx2`), so that accel's AVX2 path can be
//! compared with C on the same vector width on any x86-64 machine.
//!
//! Where no C compiler with OpenMP is found, nothing is built and the `c_peers`
//! cfg stays off: the bench then skips the C rows with a one-line note. The
//! reason is passed on in `ACCEL_C_PEERS_MISSING`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=csrc/peers.c");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(c_peers)");
    match build() {
        Ok(()) => println!("cargo:rustc-cfg=c_peers"),
        Err(why) => {
            println!("cargo:warning=the bench's C contenders are skipped: {why}");
            println!("cargo:rustc-env=ACCEL_C_PEERS_MISSING={why}");
        }
    }
}

fn build() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    // A probe first: the compiler must compile and link an OpenMP program with
    // libmvec, or the build below would fail at link time instead of skipping.
    let compiler = cc::Build::new().get_compiler();
    let probe = out.join("probe.c");
    std::fs::write(
        &probe,
        "#include <omp.h>\n#include <math.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : (int)erf(0.5);}\n",
    )
    .map_err(|e| e.to_string())?;
    let status = Command::new(compiler.path())
        .arg(&probe)
        .args(["-fopenmp", "-lmvec", "-lm", "-o"])
        .arg(out.join("probe"))
        .status()
        .map_err(|e| format!("no C compiler ({}: {e})", compiler.path().display()))?;
    if !status.success() {
        return Err(format!(
            "{} cannot build and link an OpenMP program with libmvec",
            compiler.path().display()
        ));
    }
    let x86 = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64");
    let mut builds = vec![("_strict", false, false), ("_fast", true, false)];
    if x86 {
        builds.push(("_fast_avx2", true, true));
    }
    for (suffix, fast_math, no_avx512) in builds {
        let mut build = cc::Build::new();
        build
            .file("csrc/peers.c")
            .opt_level(3)
            .flag("-march=native")
            .flag("-fopenmp")
            .define("PEER_SUFFIX", suffix);
        if fast_math {
            build.flag("-ffast-math");
        }
        if no_avx512 {
            build.flag("-mno-avx512f");
        }
        build
            .try_compile(&format!("peers{suffix}"))
            .map_err(|e| format!("compiling csrc/peers.c failed: {e}"))?;
    }
    println!("cargo:rustc-link-lib=gomp");
    println!("cargo:rustc-link-lib=mvec");
    println!("cargo:rustc-link-lib=m");
    Ok(())
}
