/**
 * A Reply that builds JavaScript values instead of bytes, so a command run
 * by a script hands its reply to the Lua side as data. Protocol-dependent
 * shapes are settled while capturing: with `resp` 2 a map arrives as a flat
 * array, a double as a string, a boolean as 1 or 0 and a null as false
 * (Redis gives scripts false for a nil reply); with `resp` 3 they keep their
 * RESP3 types.
 */
import { formatDouble, type Reply } from '../protocol/resp/reply';

export class StatusValue {
  constructor(readonly text: string) {}
}

export class ErrorValue {
  constructor(readonly text: string) {}
}

export class DoubleValue {
  constructor(readonly value: number) {}
}

/** A RESP3 map: keys and values alternate. */
export class MapValue {
  constructor(readonly items: ReplyValue[]) {}
}

export class SetValue {
  constructor(readonly items: ReplyValue[]) {}
}

export class VerbatimValue {
  constructor(readonly text: string) {}
}

/**
 * A captured reply: a string is a bulk string, a number or bigint an
 * integer, a boolean a RESP3 boolean (or a RESP2 nil as false), null a RESP3
 * null, an array an array.
 */
export type ReplyValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | ReplyValue[]
  | StatusValue
  | ErrorValue
  | DoubleValue
  | MapValue
  | SetValue
  | VerbatimValue;

const enum ContainerKind {
  Array,
  Map,
  Set,
}

interface Container {
  kind: ContainerKind;
  items: ReplyValue[];
  /** Items still to come. */
  remaining: number;
}

/** Captures exactly one reply; `take` returns it and resets the builder. */
export class ValueReply implements Reply {
  resp: 2 | 3 = 2;
  #open: Container[] = [];
  #result: ReplyValue | undefined = undefined;

  /** The captured reply, or undefined when the command wrote none (or an unfinished one). */
  take(): ReplyValue | undefined {
    const result = this.#open.length === 0 ? this.#result : undefined;
    this.#result = undefined;
    this.#open = [];
    return result;
  }

  #add(value: ReplyValue): void {
    let current = value;
    for (;;) {
      const parent = this.#open[this.#open.length - 1];
      if (parent === undefined) {
        this.#result = current;
        return;
      }
      parent.items.push(current);
      if (--parent.remaining > 0) return;
      this.#open.pop();
      current = finish(parent);
    }
  }

  #container(kind: ContainerKind, count: number): void {
    const container = { kind, items: [], remaining: count };
    if (count <= 0) this.#add(finish(container));
    else this.#open.push(container);
  }

  ok(): void {
    this.#add(new StatusValue('OK'));
  }

  simple(text: string): void {
    this.#add(new StatusValue(text));
  }

  error(text: string): void {
    this.#add(new ErrorValue(text));
  }

  int(value: number | bigint): void {
    this.#add(value);
  }

  bulk(value: string | Buffer): void {
    this.#add(typeof value === 'string' ? value : value.toString('latin1'));
  }

  nil(): void {
    this.#add(this.resp === 3 ? null : false);
  }

  nilArray(): void {
    this.#add(this.resp === 3 ? null : false);
  }

  array(length: number): void {
    this.#container(ContainerKind.Array, length);
  }

  map(length: number): void {
    if (this.resp === 3) this.#container(ContainerKind.Map, length * 2);
    else this.#container(ContainerKind.Array, length * 2);
  }

  set(length: number): void {
    this.#container(this.resp === 3 ? ContainerKind.Set : ContainerKind.Array, length);
  }

  double(value: number): void {
    this.#add(this.resp === 3 ? new DoubleValue(value) : formatDouble(value));
  }

  bool(value: boolean): void {
    this.#add(this.resp === 3 ? value : value ? 1 : 0);
  }

  verbatim(text: string): void {
    this.#add(this.resp === 3 ? new VerbatimValue(text) : text);
  }

  push(length: number): void {
    this.#container(ContainerKind.Array, length);
  }

  bulkArray(values: readonly string[]): void {
    this.#add([...values]);
  }
}

function finish(container: Container): ReplyValue {
  if (container.kind === ContainerKind.Map) return new MapValue(container.items);
  if (container.kind === ContainerKind.Set) return new SetValue(container.items);
  return container.items;
}
