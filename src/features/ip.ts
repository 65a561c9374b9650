/**
 * IPv4 text to numbers in SQL, and an address's class. Only dotted-quad IPv4 is parsed to a
 * number (ip2asn's v4 table and /24 prefixes need it); IPv6 is classed by its prefix.
 */

/** SQL: the address as an unsigned 32-bit number (UBIGINT), or NULL when `v` is not IPv4. */
export function ipv4Number(v: string): string {
  const octet = (k: number) => `TRY_CAST(split_part(${v}, '.', ${k}) AS UBIGINT)`;
  return (
    `(CASE WHEN regexp_full_match(${v}, '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}') ` +
    `AND greatest(${octet(1)}, ${octet(2)}, ${octet(3)}, ${octet(4)}) <= 255 ` +
    `THEN ${octet(1)} * 16777216 + ${octet(2)} * 65536 + ${octet(3)} * 256 + ${octet(4)} END)`
  );
}

/** Codes of `ipclass`, in the order a reader looks for them. */
export const IP_CLASSES = {
  missing: -1,
  public: 0,
  private: 1,
  loopback: 2,
  "link-local": 3,
  multicast: 4,
  reserved: 5,
  /** Not an address: CloudTrail writes service names ("ec2.amazonaws.com", "AWS Internal"). */
  name: 6,
} as const;

/** IPv4 blocks by class (RFC 1918, 1122, 3927, 5771, 6598, 5737, 2544, 1112). */
const V4_BLOCKS: readonly [string, number, keyof typeof IP_CLASSES][] = [
  ["10.0.0.0", 8, "private"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["224.0.0.0", 4, "multicast"],
  ["0.0.0.0", 8, "reserved"],
  ["100.64.0.0", 10, "reserved"], // carrier-grade NAT, shared address space
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"], // documentation
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["240.0.0.0", 4, "reserved"], // includes the broadcast 255.255.255.255
];

export function ipv4ToNumber(text: string): number {
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** SQL: the class code of address text `v` (NULL-safe: missing gives −1). */
export function ipClassSql(v: string): string {
  const n = ipv4Number(v);
  const v4 = V4_BLOCKS.map(([start, bits, cls]) => {
    const lo = ipv4ToNumber(start);
    const hi = lo + 2 ** (32 - bits) - 1;
    return `WHEN ${n} BETWEEN ${lo} AND ${hi} THEN ${IP_CLASSES[cls]}`;
  }).join(" ");
  const l = `lower(${v})`;
  // IPv6 (RFC 4291, 4193): any text with a colon made of hex groups.
  const v6 =
    `WHEN regexp_full_match(${l}, '[0-9a-f:.]*:[0-9a-f:.]*') THEN CASE ` +
    `WHEN ${l} IN ('::1', '0:0:0:0:0:0:0:1') THEN ${IP_CLASSES.loopback} ` +
    `WHEN ${l} = '::' THEN ${IP_CLASSES.reserved} ` +
    `WHEN regexp_matches(${l}, '^fe[89ab][0-9a-f]:') THEN ${IP_CLASSES["link-local"]} ` +
    `WHEN regexp_matches(${l}, '^f[cd][0-9a-f]{2}:') THEN ${IP_CLASSES.private} ` +
    `WHEN regexp_matches(${l}, '^ff[0-9a-f]{2}:') THEN ${IP_CLASSES.multicast} ` +
    `ELSE ${IP_CLASSES.public} END`;
  return (
    `(CASE WHEN ${v} IS NULL THEN ${IP_CLASSES.missing} ` +
    `WHEN ${n} IS NOT NULL THEN CASE ${v4} ELSE ${IP_CLASSES.public} END ` +
    `${v6} ELSE ${IP_CLASSES.name} END)::DOUBLE`
  );
}

/** SQL: "a.b.c.0/24" for IPv4 text, the value itself otherwise (a service name stays itself). */
export function prefix24Sql(v: string): string {
  return `(CASE WHEN ${ipv4Number(v)} IS NOT NULL THEN regexp_extract(${v}, '^(\\d+\\.\\d+\\.\\d+)\\.', 1) || '.0/24' ELSE ${v} END)`;
}
