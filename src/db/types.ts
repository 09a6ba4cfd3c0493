/**
 * What a database connection offers, apart from how it is opened (src/db/database.ts), so both
 * drivers can implement it without importing the opener.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** One SQL statement with $1… parameters; the rows it returns. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: every statement commits, or none does if fn throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
