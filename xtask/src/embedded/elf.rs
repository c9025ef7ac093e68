//! Section sizes of a 32-bit little-endian ELF file (the firmware), read from its
//! section header table: enough to report flash and static RAM without an
//! external `size` tool.

/// Flash and static RAM of a firmware image, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Code: `.vector_table` and `.text`.
    pub text: u64,
    /// Constants: `.rodata`.
    pub rodata: u64,
    /// Initialised statics: `.data` (in flash and in RAM).
    pub data: u64,
    /// Zeroed and uninitialised statics: `.bss` and `.uninit`.
    pub bss: u64,
}

impl Footprint {
    /// Bytes of flash: code, constants and the initial values of `.data`.
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }

    /// Bytes of RAM taken by statics (the stack and heap come on top).
    pub fn static_ram(&self) -> u64 {
        self.data + self.bss
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("ELF file truncated at byte {at}"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("ELF file truncated at byte {at}"))
}

/// Sums the allocated sections of `bytes` (an ELF32 LE file) by kind.
///
/// # Errors
/// A message naming the problem if `bytes` is not a 32-bit little-endian ELF
/// file or is truncated.
pub fn footprint(bytes: &[u8]) -> Result<Footprint, String> {
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err("not an ELF file".into());
    }
    if bytes.get(4) != Some(&1) || bytes.get(5) != Some(&1) {
        return Err("not a 32-bit little-endian ELF file".into());
    }
    let shoff = u32_at(bytes, 0x20)? as usize;
    let shentsize = usize::from(u16_at(bytes, 0x2E)?);
    let shnum = usize::from(u16_at(bytes, 0x30)?);
    let shstrndx = usize::from(u16_at(bytes, 0x32)?);
    let header = |i: usize| shoff + i * shentsize;
    let names_at = u32_at(bytes, header(shstrndx) + 0x10)? as usize;
    let mut sizes = Footprint::default();
    for i in 0..shnum {
        let h = header(i);
        let name_off = u32_at(bytes, h)? as usize;
        let flags = u32_at(bytes, h + 0x08)?;
        let size = u64::from(u32_at(bytes, h + 0x14)?);
        const SHF_ALLOC: u32 = 2;
        if flags & SHF_ALLOC == 0 {
            continue;
        }
        let name_bytes = bytes
            .get(names_at + name_off..)
            .ok_or_else(|| format!("section {i}: name outside the file"))?;
        let end = name_bytes.iter().position(|&b| b == 0).unwrap_or(0);
        match std::str::from_utf8(&name_bytes[..end]).unwrap_or("") {
            ".vector_table" | ".text" => sizes.text += size,
            ".rodata" => sizes.rodata += size,
            ".data" => sizes.data += size,
            ".bss" | ".uninit" => sizes.bss += size,
            _ => {}
        }
    }
    Ok(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF32 image with the given (name, flags, size) sections.
    fn image(sections: &[(&str, u32, u32)]) -> Vec<u8> {
        let mut names = vec![0u8];
        let mut offsets = Vec::new();
        for (name, _, _) in sections.iter().chain([&(".shstrtab", 0, 0)]) {
            offsets.push(names.len() as u32);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let mut bytes = vec![0u8; 52];
        bytes[..6].copy_from_slice(b"\x7fELF\x01\x01");
        let names_at = bytes.len() as u32;
        bytes.extend_from_slice(&names);
        let shoff = bytes.len() as u32;
        bytes[0x20..0x24].copy_from_slice(&shoff.to_le_bytes());
        bytes[0x2E..0x30].copy_from_slice(&40u16.to_le_bytes());
        let count = sections.len() as u16 + 1;
        bytes[0x30..0x32].copy_from_slice(&count.to_le_bytes());
        bytes[0x32..0x34].copy_from_slice(&(count - 1).to_le_bytes());
        for (i, &(_, flags, size)) in sections.iter().chain([&(".shstrtab", 0, 0)]).enumerate() {
            let mut h = [0u8; 40];
            h[..4].copy_from_slice(&offsets[i].to_le_bytes());
            h[8..12].copy_from_slice(&flags.to_le_bytes());
            let at = if i == sections.len() { names_at } else { 0 };
            h[0x10..0x14].copy_from_slice(&at.to_le_bytes());
            h[0x14..0x18].copy_from_slice(&size.to_le_bytes());
            bytes.extend_from_slice(&h);
        }
        bytes
    }

    #[test]
    fn sums_allocated_sections_by_kind() {
        let elf = image(&[
            (".vector_table", 2, 1024),
            (".text", 6, 5000),
            (".rodata", 2, 300),
            (".data", 3, 16),
            (".bss", 3, 4096),
            (".debug_info", 0, 99999),
        ]);
        let f = footprint(&elf).unwrap();
        assert_eq!(
            f,
            Footprint {
                text: 6024,
                rodata: 300,
                data: 16,
                bss: 4096
            }
        );
        assert_eq!(f.flash(), 6340);
        assert_eq!(f.static_ram(), 4112);
    }

    #[test]
    fn refuses_what_is_not_elf32() {
        assert!(footprint(b"hello").unwrap_err().contains("not an ELF"));
        let mut elf = image(&[]);
        elf[4] = 2;
        assert!(footprint(&elf).unwrap_err().contains("32-bit"));
        assert!(footprint(&elf[..3]).is_err());
    }
}
