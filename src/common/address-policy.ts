import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses the relay may open a connection to (spec §3). A host
 * name on the Qualys allow-list can still resolve to an internal address (a
 * record pointing into RFC 1918 space, a dangling CNAME taken over), so the
 * address actually connected to is checked too. Pure and synchronous: the
 * config parser validates `QUALYS_ADDRESS_ALLOWLIST` with `parseCidr`, and
 * the Qualys transport vets every resolved address with `AddressPolicy`,
 * whatever carries the connection (node agents today, undici tomorrow).
 */
export interface AddressPolicy {
  /** The refused range `address` lies in, or undefined when it may be connected to. */
  refusal(address: string): string | undefined;
}

export interface AddressPolicyOptions {
  /** CIDRs (validated by `parseCidr`) that may be connected to although refused below. */
  allowlist: readonly string[];
  /** `QUALYS_ALLOW_INSECURE`: every address may be connected to (demo, tests). */
  allowAll: boolean;
}

interface Range {
  network: string;
  prefix: number;
  name: string;
}

/** IPv4 ranges that are never Qualys (spec §3), with the name a log line gives them. */
const REFUSED_V4: readonly Range[] = [
  { network: '0.0.0.0', prefix: 8, name: 'unspecified' },
  { network: '10.0.0.0', prefix: 8, name: 'private' },
  { network: '100.64.0.0', prefix: 10, name: 'carrier-grade NAT' },
  { network: '127.0.0.0', prefix: 8, name: 'loopback' },
  { network: '169.254.0.0', prefix: 16, name: 'link-local' },
  { network: '172.16.0.0', prefix: 12, name: 'private' },
  { network: '192.168.0.0', prefix: 16, name: 'private' },
  { network: '198.18.0.0', prefix: 15, name: 'benchmarking' },
  { network: '224.0.0.0', prefix: 4, name: 'multicast' },
  // Reserved (class E), which includes the limited broadcast 255.255.255.255.
  { network: '240.0.0.0', prefix: 4, name: 'reserved or broadcast' },
];

const REFUSED_V6: readonly Range[] = [
  { network: '::', prefix: 128, name: 'unspecified' },
  { network: '::1', prefix: 128, name: 'loopback' },
  { network: 'fc00::', prefix: 7, name: 'unique-local' },
  { network: 'fe80::', prefix: 10, name: 'link-local' },
  { network: 'fec0::', prefix: 10, name: 'site-local' },
  { network: 'ff00::', prefix: 8, name: 'multicast' },
];

/** One BlockList per named range, so a refusal can say which range it was. */
const REFUSED = [
  ...REFUSED_V4.map((range) => ({
    name: range.name,
    list: blockList([{ ...range, family: 'ipv4' }]),
  })),
  ...REFUSED_V6.map((range) => ({
    name: range.name,
    list: blockList([{ ...range, family: 'ipv6' }]),
  })),
];

type Family = 'ipv4' | 'ipv6';

export interface Cidr {
  network: string;
  prefix: number;
  family: Family;
}

/**
 * `a.b.c.d/n`, `v6::/n` or a bare address (one host); undefined when it is
 * not one. The network is kept as written: a CIDR with host bits set still
 * names its whole network, as Node's BlockList reads it.
 */
export function parseCidr(text: string): Cidr | undefined {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, network, prefixText] = match;
  const family: Family | undefined = isIPv4(network)
    ? 'ipv4'
    : isIPv6(network)
      ? 'ipv6'
      : undefined;
  if (family === undefined) return undefined;
  const bits = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  return prefix <= bits ? { network, prefix, family } : undefined;
}

export function createAddressPolicy(options: AddressPolicyOptions): AddressPolicy {
  const allowed = blockList(
    options.allowlist.map((text) => {
      const cidr = parseCidr(text);
      if (cidr === undefined) throw new TypeError('the address allow-list holds an invalid CIDR');
      return cidr;
    }),
  );
  return {
    refusal(address: string): string | undefined {
      if (options.allowAll) return undefined;
      const forms = addressForms(address);
      if (forms === undefined) return 'not an IP address';
      if (forms.some((form) => allowed.check(form.address, form.family))) return undefined;
      for (const form of forms) {
        const refused = REFUSED.find(({ list }) => list.check(form.address, form.family));
        if (refused !== undefined)
          return form.embedded ? `${refused.name} (embedded IPv4)` : refused.name;
      }
      return undefined;
    },
  };
}

interface AddressForm {
  address: string;
  family: Family;
  /** An IPv4 address carried inside an IPv6 one. */
  embedded: boolean;
}

/**
 * The address, plus the IPv4 address it carries when it is an IPv6 form that
 * reaches an IPv4 host: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96` and 6to4 `2002:AABB:CCDD::/48`. A refused
 * IPv4 range stays refused in every one of its IPv6 disguises.
 */
function addressForms(raw: string): AddressForm[] | undefined {
  // A zone index (`fe80::1%eth0`) does not change which address it is.
  const address = raw.replace(/%.*$/, '');
  if (isIPv4(address)) return [{ address, family: 'ipv4', embedded: false }];
  if (!isIPv6(address)) return undefined;
  const forms: AddressForm[] = [{ address, family: 'ipv6', embedded: false }];
  const words = ipv6Words(address);
  const v4 = (high: number, low: number): AddressForm => ({
    address: [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.'),
    family: 'ipv4',
    embedded: true,
  });
  const zeros = (from: number, to: number) => words.slice(from, to).every((word) => word === 0);
  if (zeros(0, 5) && (words[5] === 0xffff || words[5] === 0) && !(words[5] === 0 && zeros(6, 7))) {
    // ::ffff:a.b.c.d and ::a.b.c.d (but not :: and ::1, which are IPv6's own).
    forms.push(v4(words[6], words[7]));
  } else if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) {
    forms.push(v4(words[6], words[7]));
  } else if (words[0] === 0x2002) {
    forms.push(v4(words[1], words[2]));
  }
  return forms;
}

/** The eight 16-bit words of a valid IPv6 address (`::` and a dotted IPv4 tail expanded). */
function ipv6Words(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) =>
    part === undefined || part === '' ? [] : part.split(':').map((word) => parseInt(word, 16));
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

function blockList(ranges: readonly Cidr[]): BlockList {
  const list = new BlockList();
  for (const { network, prefix, family } of ranges) {
    if ((family === 'ipv4' && prefix === 32) || (family === 'ipv6' && prefix === 128)) {
      list.addAddress(network, family);
    } else {
      list.addSubnet(network, prefix, family);
    }
  }
  return list;
}
