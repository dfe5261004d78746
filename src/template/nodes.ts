// Parse tree of a template, shaped like Go's text/template/parse nodes.

export interface NumberValue {
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int: bigint;
  /** The float value, or the real part of a complex one. */
  float: number;
  /** The imaginary part of a complex constant. */
  imag: number;
  text: string;
}

export type Node =
  | { kind: "list"; pos: number; nodes: Node[] }
  | { kind: "text"; pos: number; text: string }
  | { kind: "comment"; pos: number; text: string }
  | { kind: "action"; pos: number; line: number; pipe: PipeNode }
  | PipeNode
  | CommandNode
  | { kind: "field"; pos: number; ident: string[] }
  | { kind: "variable"; pos: number; ident: string[] }
  | { kind: "chain"; pos: number; node: Node; field: string[] }
  | { kind: "identifier"; pos: number; ident: string }
  | { kind: "dot"; pos: number }
  | { kind: "nil"; pos: number }
  | { kind: "bool"; pos: number; value: boolean }
  | ({ kind: "number"; pos: number } & NumberValue)
  | { kind: "string"; pos: number; quoted: string; text: string }
  | ControlNode
  | { kind: "template"; pos: number; line: number; name: string; pipe: PipeNode | undefined }
  | { kind: "break"; pos: number; line: number }
  | { kind: "continue"; pos: number; line: number }
  | { kind: "end"; pos: number }
  | { kind: "else"; pos: number; line: number };

export interface PipeNode {
  kind: "pipe";
  pos: number;
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  kind: "command";
  pos: number;
  args: Node[];
}

export type VariableNode = Extract<Node, { kind: "variable" }>;
export type ListNode = Extract<Node, { kind: "list" }>;

export interface ControlNode {
  kind: "if" | "range" | "with";
  pos: number;
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

export interface Tree {
  name: string;
  /** Name used in error locations: the top-level template's name. */
  parseName: string;
  root: ListNode;
  text: string;
}

function pipeString(p: PipeNode): string {
  let s = "";
  if (p.decl.length > 0) {
    s += p.decl.map(nodeString).join(", ");
    s += p.isAssign ? " = " : " := ";
  }
  return s + p.cmds.map(nodeString).join(" | ");
}

/** Go's Node.String(): used in error messages. */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return JSON.stringify(n.text);
    case "comment":
      return `{{${n.text}}}`;
    case "action":
      return `{{${pipeString(n.pipe)}}}`;
    case "pipe":
      return pipeString(n);
    case "command":
      return n.args.map((a) => (a.kind === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "field":
      return n.ident.map((i) => "." + i).join("");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return (n.node.kind === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.field.map((f) => "." + f).join("");
    case "identifier":
      return n.ident;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "bool":
      return n.value ? "true" : "false";
    case "number":
      return n.text;
    case "string":
      return n.quoted;
    case "if":
    case "range":
    case "with": {
      let s = `{{${n.kind} ${pipeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += `{{else}}${nodeString(n.elseList)}`;
      return s + "{{end}}";
    }
    case "template":
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${pipeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case "break":
      return "{{break}}";
    case "continue":
      return "{{continue}}";
    case "end":
      return "{{end}}";
    case "else":
      return "{{else}}";
  }
}

export function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case "list":
      return n.nodes.every(isEmptyTree);
    case "text":
      return n.text.trim().length === 0;
    case "comment":
      return true;
    default:
      return false;
  }
}
