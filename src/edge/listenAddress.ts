/** An address the edge listens on (and reports back once bound): host and TCP port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}
