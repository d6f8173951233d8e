package deploy

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// TemplateBuckets is how many nested stacks the per-target resources are
// spread over: each team target's secret (with its resource policy) and
// each reader group's role goes into the bucket its name hashes to. The
// number is fixed, so adding or removing a target never moves another
// one's resources (whose names are fixed: a moved secret or role would
// collide with itself) from one nested stack to another, and at 10,000
// targets a bucket holds about 160 secrets, well within CloudFormation's
// 500 resources and 1 MB per template.
const TemplateBuckets = 64

// TargetBucket is the nested stack that holds a team target's secret.
func TargetBucket(target string) int { return bucketOf("target:" + target) }

// ReaderBucket is the nested stack that holds a reader group's role.
func ReaderBucket(g ReaderGroup) int { return bucketOf("reader:" + g.ID()) }

func bucketOf(key string) int {
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint32(sum[:4]) % TemplateBuckets)
}

// TemplateBucketName is the logical id of bucket i's nested stack.
func TemplateBucketName(i int) string { return fmt.Sprintf("Targets%02d", i) }

// BucketResources counts the resources each nested stack will hold: one
// per secret, one per secret resource policy (targets with readers) and
// one per reader role.
func (c Config) BucketResources() [TemplateBuckets]int {
	var counts [TemplateBuckets]int
	for _, t := range c.Targets {
		if t.IsAdmin() {
			continue
		}
		counts[TargetBucket(t.Name)]++
		if len(t.Readers) > 0 {
			counts[TargetBucket(t.Name)]++
		}
	}
	for _, g := range c.ReaderGroups() {
		counts[ReaderBucket(g)]++
	}
	return counts
}
