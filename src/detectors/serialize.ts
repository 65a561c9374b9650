/**
 * JSON with typed arrays. A typed array is written as `{"$typed": "Float64Array", "base64": …}`
 * holding its bytes (little-endian, as on every platform Node runs on), so doubles round-trip
 * exactly and a model with a million training scores stays compact.
 */
const TYPED = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type TypedName = keyof typeof TYPED;

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const name = v.constructor.name as TypedName;
      if (!(name in TYPED)) throw new TypeError(`cannot serialise ${name}`);
      return {
        $typed: name,
        base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64"),
      };
    }
    return v;
  });
}

export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && "$typed" in v && "base64" in v) {
      const { $typed, base64 } = v as { $typed: unknown; base64: unknown };
      if (typeof $typed !== "string" || !($typed in TYPED) || typeof base64 !== "string") {
        throw new Error(`bad typed-array entry ${JSON.stringify($typed)}`);
      }
      const Ctor = TYPED[$typed as TypedName];
      const bytes = Buffer.from(base64, "base64");
      if (bytes.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) {
        throw new Error(`${$typed} payload of ${bytes.byteLength} bytes is truncated`);
      }
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      return new Ctor(copy.buffer);
    }
    return v;
  });
}
