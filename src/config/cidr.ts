/** @module config/cidr: the one parser of CIDRs (`10.0.0.0/8`, `::1/128`, or a bare address). */
import { isIP } from 'node:net'

export interface Cidr {
  address: string
  /** Prefix length; a bare address is a /32 (IPv4) or a /128 (IPv6). */
  prefix: number
  family: 'ipv4' | 'ipv6'
}

/** The CIDR in `text`, or undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', bits, ...rest] = text.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return undefined
  const max = version === 4 ? 32 : 128
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined
  const prefix = bits === undefined ? max : Number(bits)
  if (prefix > max) return undefined
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}
