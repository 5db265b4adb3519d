package yamlstore

import "gopkg.in/yaml.v3"

// node is a compact YAML node: a 10,000-device inventory has millions of
// them, and yaml.Node, with its comment fields, costs three times more.
type node struct {
	kind    nodeKind
	tag     tagClass
	line    int32
	col     int32
	value   string
	content []*node
}

type nodeKind uint8

const (
	scalarNode nodeKind = iota + 1
	mappingNode
	sequenceNode
)

// tagClass keeps the only distinctions the decoder makes between scalars.
type tagClass uint8

const (
	tagStr tagClass = iota
	tagNull
	tagBool
)

// fromYAML converts yaml.v3's tree, resolving aliases. Aliased subtrees are
// converted once and shared, so an alias bomb costs no memory here; the
// decoder's node budget stops the work it would cause.
func fromYAML(n *yaml.Node, memo map[*yaml.Node]*node) *node {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return &node{kind: scalarNode, tag: tagNull, line: int32(n.Line), col: int32(n.Column)}
		}
		return fromYAML(n.Alias, memo)
	}
	if c, ok := memo[n]; ok {
		return c
	}
	c := &node{line: int32(n.Line), col: int32(n.Column), value: n.Value}
	memo[n] = c
	switch n.Kind {
	case yaml.MappingNode:
		c.kind = mappingNode
	case yaml.SequenceNode:
		c.kind = sequenceNode
	default:
		c.kind = scalarNode
		switch n.ShortTag() {
		case "!!null":
			c.tag = tagNull
		case "!!bool":
			c.tag = tagBool
		}
	}
	if len(n.Content) > 0 {
		c.content = make([]*node, len(n.Content))
		for i, k := range n.Content {
			c.content[i] = fromYAML(k, memo)
		}
	}
	return c
}
