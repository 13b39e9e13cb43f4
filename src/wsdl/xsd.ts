// A small model of the XML Schema constructs ewsgate's published schemas use, and the
// code that renders it. The schema documents (messages.xsd, types.xsd) are written as
// data in operations.ts and types-schema.ts; this module turns that data into text.
//
// Conventions: every QName is written with one of three prefixes: `xs:` (XML Schema),
// `t:` (http://schemas.microsoft.com/exchange/services/2006/types) and `m:`
// (http://schemas.microsoft.com/exchange/services/2006/messages). Both EWS schemas use
// elementFormDefault="qualified", so local elements live in the schema's namespace.
import { escapeAttr, escapeText } from '../soap/xml.js';

export const XS_NS = 'http://www.w3.org/2001/XMLSchema';
export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const WSDL_SOAP_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';

export type Occurs = number | 'unbounded';

interface OccursOpts {
  readonly min?: number;
  readonly max?: Occurs;
}

/** A local element: `<xs:element name=".." type=".."/>`. */
export interface ElementParticle extends OccursOpts {
  readonly element: string;
  readonly type: string;
  readonly default?: string;
}
/** A reference to a global element: `<xs:element ref=".."/>`. */
export interface RefParticle extends OccursOpts {
  readonly ref: string;
}
export interface ChoiceParticle extends OccursOpts {
  readonly choice: readonly Particle[];
}
export interface SequenceParticle extends OccursOpts {
  readonly sequence: readonly Particle[];
}
/** A wildcard. Defaults: namespace ##any, processContents lax. */
export interface AnyParticle extends OccursOpts {
  readonly any: true;
  readonly namespace?: string;
}

export type Particle = ElementParticle | RefParticle | ChoiceParticle | SequenceParticle | AnyParticle;

export interface AttributeDef {
  readonly name: string;
  readonly type: string;
  readonly use?: 'required' | 'optional';
  readonly default?: string;
}

/** The body of a complex type, named or anonymous. */
export interface ComplexBody {
  readonly abstract?: boolean;
  /** complexContent extension of this base. */
  readonly base?: string;
  /** simpleContent extension of this simple type (attributes only, no particles). */
  readonly simpleBase?: string;
  /** Rendered inside one xs:sequence. */
  readonly particles?: readonly Particle[];
  readonly attributes?: readonly AttributeDef[];
  /** Adds `<xs:anyAttribute processContents="lax"/>` (SOAP header types carry soap:mustUnderstand etc.). */
  readonly anyAttribute?: boolean;
  readonly mixed?: boolean;
}

export interface ComplexTypeDef extends ComplexBody {
  readonly kind: 'complex';
  readonly name: string;
  readonly doc?: string;
}

export interface SimpleTypeDef {
  readonly kind: 'simple';
  readonly name: string;
  readonly doc?: string;
  /** Restriction base; xs:string when absent. */
  readonly base?: string;
  readonly enumeration?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly minInclusive?: number;
  readonly maxInclusive?: number;
  /** `<xs:list itemType=".."/>` instead of a restriction. */
  readonly list?: string;
  /** `<xs:union memberTypes=".."/>` instead of a restriction. */
  readonly union?: readonly string[];
}

export interface ElementDef {
  readonly kind: 'element';
  readonly name: string;
  readonly doc?: string;
  readonly type?: string;
  /** An anonymous complex type. */
  readonly complex?: ComplexBody;
}

export type SchemaDef = ComplexTypeDef | SimpleTypeDef | ElementDef;

// ------------------------------------------------------------------ shorthands

export function el(element: string, type: string, opts: OccursOpts & { default?: string } = {}): ElementParticle {
  return { element, type, ...opts };
}
/** minOccurs="0" */
export function opt(element: string, type: string, opts: OccursOpts = {}): ElementParticle {
  return { element, type, min: 0, ...opts };
}
/** minOccurs="0" maxOccurs="unbounded" */
export function many(element: string, type: string, min = 0): ElementParticle {
  return { element, type, min, max: 'unbounded' };
}
export function ref(name: string, opts: OccursOpts = {}): RefParticle {
  return { ref: name, ...opts };
}
export function choice(particles: readonly Particle[], opts: OccursOpts = {}): ChoiceParticle {
  return { choice: particles, ...opts };
}
export function anyLax(opts: OccursOpts = {}): AnyParticle {
  return { any: true, min: 0, max: 'unbounded', ...opts };
}
export function attr(name: string, type: string, use?: 'required', dflt?: string): AttributeDef {
  return dflt === undefined ? { name, type, use } : { name, type, use, default: dflt };
}
export function complex(name: string, body: ComplexBody, doc?: string): ComplexTypeDef {
  return { kind: 'complex', name, doc, ...body };
}
export function enumType(name: string, values: readonly string[], doc?: string): SimpleTypeDef {
  return { kind: 'simple', name, enumeration: values, doc };
}
/**
 * A deliberately loose complex type: any child elements (validated laxly) and any
 * attributes. Used where the full EWS definition is large and ewsgate only passes the
 * content through or does not produce it.
 */
export function loose(name: string, doc?: string): ComplexTypeDef {
  return {
    kind: 'complex',
    name,
    doc: doc ?? 'Loosely typed: any content, validated laxly.',
    particles: [anyLax()],
    anyAttribute: true,
  };
}
export function element(name: string, type: string, doc?: string): ElementDef {
  return { kind: 'element', name, type, doc };
}

// ------------------------------------------------------------------ references

/** Every QName a definition refers to (types, bases, element refs). */
export function referencesOf(def: SchemaDef): string[] {
  const out: string[] = [];
  const body = (b: ComplexBody) => {
    if (b.base) out.push(b.base);
    if (b.simpleBase) out.push(b.simpleBase);
    for (const p of b.particles ?? []) particle(p);
    for (const a of b.attributes ?? []) out.push(a.type);
  };
  const particle = (p: Particle) => {
    if ('element' in p) out.push(p.type);
    else if ('ref' in p) out.push(p.ref);
    else if ('choice' in p) p.choice.forEach(particle);
    else if ('sequence' in p) p.sequence.forEach(particle);
  };
  if (def.kind === 'complex') body(def);
  else if (def.kind === 'element') {
    if (def.type) out.push(def.type);
    if (def.complex) body(def.complex);
  } else {
    if (def.list) out.push(def.list);
    else if (def.union) out.push(...def.union);
    else out.push(def.base ?? 'xs:string');
  }
  return out;
}

// ------------------------------------------------------------------ rendering

const q = (s: string) => `"${escapeAttr(s)}"`;

function occurs(o: OccursOpts): string {
  let s = '';
  if (o.min !== undefined && o.min !== 1) s += ` minOccurs="${o.min}"`;
  if (o.max !== undefined && o.max !== 1) s += ` maxOccurs="${o.max}"`;
  return s;
}

function docLines(doc: string | undefined, pad: string): string[] {
  if (!doc) return [];
  return [
    `${pad}<xs:annotation>`,
    `${pad}  <xs:documentation>${escapeText(doc)}</xs:documentation>`,
    `${pad}</xs:annotation>`,
  ];
}

function renderParticle(p: Particle, pad: string): string[] {
  if ('element' in p) {
    const dflt = p.default !== undefined ? ` default=${q(p.default)}` : '';
    return [`${pad}<xs:element name=${q(p.element)} type=${q(p.type)}${dflt}${occurs(p)}/>`];
  }
  if ('ref' in p) return [`${pad}<xs:element ref=${q(p.ref)}${occurs(p)}/>`];
  if ('any' in p) {
    return [`${pad}<xs:any namespace=${q(p.namespace ?? '##any')} processContents="lax"${occurs(p)}/>`];
  }
  const tag = 'choice' in p ? 'xs:choice' : 'xs:sequence';
  const kids = 'choice' in p ? p.choice : p.sequence;
  return [`${pad}<${tag}${occurs(p)}>`, ...kids.flatMap((k) => renderParticle(k, pad + '  ')), `${pad}</${tag}>`];
}

function renderAttributes(b: ComplexBody, pad: string): string[] {
  const lines = (b.attributes ?? []).map((a) => {
    const use = a.use ? ` use="${a.use}"` : '';
    const dflt = a.default !== undefined ? ` default=${q(a.default)}` : '';
    return `${pad}<xs:attribute name=${q(a.name)} type=${q(a.type)}${use}${dflt}/>`;
  });
  if (b.anyAttribute) lines.push(`${pad}<xs:anyAttribute processContents="lax"/>`);
  return lines;
}

function renderComplexBody(b: ComplexBody, pad: string): string[] {
  const seq = (p: string) =>
    b.particles && b.particles.length > 0
      ? [`${p}<xs:sequence>`, ...b.particles.flatMap((x) => renderParticle(x, p + '  ')), `${p}</xs:sequence>`]
      : [];
  if (b.simpleBase) {
    return [
      `${pad}<xs:simpleContent>`,
      `${pad}  <xs:extension base=${q(b.simpleBase)}>`,
      ...renderAttributes(b, pad + '    '),
      `${pad}  </xs:extension>`,
      `${pad}</xs:simpleContent>`,
    ];
  }
  if (b.base) {
    return [
      `${pad}<xs:complexContent>`,
      `${pad}  <xs:extension base=${q(b.base)}>`,
      ...seq(pad + '    '),
      ...renderAttributes(b, pad + '    '),
      `${pad}  </xs:extension>`,
      `${pad}</xs:complexContent>`,
    ];
  }
  return [...seq(pad), ...renderAttributes(b, pad)];
}

function complexOpen(b: ComplexBody, name?: string): string {
  let s = '<xs:complexType';
  if (name) s += ` name=${q(name)}`;
  if (b.abstract) s += ' abstract="true"';
  if (b.mixed) s += ' mixed="true"';
  return s;
}

export function renderDef(def: SchemaDef, pad = '  '): string {
  const inner = pad + '  ';
  if (def.kind === 'complex') {
    const body = [...docLines(def.doc, inner), ...renderComplexBody(def, inner)];
    if (body.length === 0) return `${pad}${complexOpen(def, def.name)}/>`;
    return [`${pad}${complexOpen(def, def.name)}>`, ...body, `${pad}</xs:complexType>`].join('\n');
  }
  if (def.kind === 'element') {
    const type = def.type ? ` type=${q(def.type)}` : '';
    const body = docLines(def.doc, inner);
    if (def.complex) {
      const cb = renderComplexBody(def.complex, inner + '  ');
      body.push(
        cb.length === 0 ? `${inner}${complexOpen(def.complex)}/>` : [`${inner}${complexOpen(def.complex)}>`, ...cb, `${inner}</xs:complexType>`].join('\n'),
      );
    }
    if (body.length === 0) return `${pad}<xs:element name=${q(def.name)}${type}/>`;
    return [`${pad}<xs:element name=${q(def.name)}${type}>`, ...body, `${pad}</xs:element>`].join('\n');
  }
  const lines = [`${pad}<xs:simpleType name=${q(def.name)}>`, ...docLines(def.doc, inner)];
  if (def.list) lines.push(`${inner}<xs:list itemType=${q(def.list)}/>`);
  else if (def.union) lines.push(`${inner}<xs:union memberTypes=${q(def.union.join(' '))}/>`);
  else {
    const facets: string[] = [];
    if (def.minLength !== undefined) facets.push(`<xs:minLength value="${def.minLength}"/>`);
    if (def.minInclusive !== undefined) facets.push(`<xs:minInclusive value="${def.minInclusive}"/>`);
    if (def.maxInclusive !== undefined) facets.push(`<xs:maxInclusive value="${def.maxInclusive}"/>`);
    if (def.pattern !== undefined) facets.push(`<xs:pattern value=${q(def.pattern)}/>`);
    for (const v of def.enumeration ?? []) facets.push(`<xs:enumeration value=${q(v)}/>`);
    const base = q(def.base ?? 'xs:string');
    if (facets.length === 0) lines.push(`${inner}<xs:restriction base=${base}/>`);
    else lines.push(`${inner}<xs:restriction base=${base}>`, ...facets.map((f) => `${inner}  ${f}`), `${inner}</xs:restriction>`);
  }
  lines.push(`${pad}</xs:simpleType>`);
  return lines.join('\n');
}
