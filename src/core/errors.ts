/**
 * Typed errors. Every error a user can cause names the thing that is wrong and, where we know
 * it, the fix. The CLI prints `name: message` for these and a stack trace only for bugs.
 */
export class AnomalogError extends Error {
  override readonly name: string = "AnomalogError";
}

/** Bad input data: names the file, row and column where known. */
export class DataError extends AnomalogError {
  override readonly name = "DataError";
  constructor(
    message: string,
    readonly location: { file?: string; row?: number; column?: string } = {},
  ) {
    super(formatLocation(location) + message);
  }
}

/** A matrix of the wrong shape for the model or operation. */
export class ShapeError extends AnomalogError {
  override readonly name = "ShapeError";
}

/** Invalid parameters for a detector or command. */
export class ParamError extends AnomalogError {
  override readonly name = "ParamError";
}

/** A saved model that cannot be read: corrupt, truncated, or of an unknown version. */
export class ModelFormatError extends AnomalogError {
  override readonly name = "ModelFormatError";
}

function formatLocation(loc: { file?: string; row?: number; column?: string }): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.row !== undefined) parts.push(`row ${loc.row}`);
  if (loc.column !== undefined) parts.push(`column "${loc.column}"`);
  return parts.length > 0 ? `${parts.join(", ")}: ` : "";
}
