import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './private-build.js';

/**
 * Just enough Markdown for the documentation checks: headings (with the
 * anchors GitHub gives them), fenced code blocks (with the headings they sit
 * under) and relative links.
 */
export interface CodeBlock {
  /** The fence's info string: `sh`, `yaml`, … */
  lang: string;
  code: string;
  /** The headings above the block, outermost first. */
  headings: string[];
  /** 1-based line of the opening fence. */
  line: number;
}

export interface MarkdownLink {
  target: string;
  line: number;
}

export interface MarkdownFile {
  /** Relative to the repository root: `README.md`, `docs/operations.md`. */
  path: string;
  text: string;
  headings: string[];
  anchors: Set<string>;
  blocks: CodeBlock[];
  links: MarkdownLink[];
}

/** README.md and every page of docs/. */
export function documentationFiles(): MarkdownFile[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].map(readMarkdown);
}

export function readMarkdown(path: string): MarkdownFile {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const headings: string[] = [];
  const blocks: CodeBlock[] = [];
  const links: MarkdownLink[] = [];
  const stack: { level: number; text: string }[] = [];
  let fence: { marker: string; block: CodeBlock } | undefined;
  text.split('\n').forEach((line, index) => {
    if (fence) {
      if (line.trim() === fence.marker) {
        blocks.push(fence.block);
        fence = undefined;
      } else {
        fence.block.code += `${line}\n`;
      }
      return;
    }
    const opening = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (opening) {
      const block = {
        lang: opening[2],
        code: '',
        headings: stack.map((h) => h.text),
        line: index + 1,
      };
      fence = { marker: opening[1], block };
      return;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      while (stack.length > 0 && stack[stack.length - 1].level >= level) stack.pop();
      stack.push({ level, text: heading[2] });
      headings.push(heading[2]);
    }
    // Links outside inline code: `[text](target)` and `[text](target "title")`.
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ target: match[1], line: index + 1 });
    }
  });
  return { path, text, headings, anchors: anchorsOf(headings), blocks, links };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every heading's anchor; a repeated heading gets `-1`, `-2`, … as on GitHub. */
function anchorsOf(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const heading of headings) {
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

/** The shell blocks under a heading (at any depth below it), in order. */
export function shellBlocksUnder(file: MarkdownFile, heading: string): CodeBlock[] {
  const blocks = file.blocks.filter((block) => isShell(block) && block.headings.includes(heading));
  if (blocks.length === 0) throw new Error(`${file.path}: no shell block under "${heading}"`);
  return blocks;
}

export function isShell(block: CodeBlock): boolean {
  return ['sh', 'bash', 'shell', 'console'].includes(block.lang);
}
